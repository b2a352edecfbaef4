"""An app whose SMS channel is a file (or a local server), on PostgreSQL and on SQLite."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from support import testing_config

from citizenvoice import create_app
from citizenvoice.extensions import db

PHONE = "13912345678"


def _notify_app(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str, **settings: str
) -> Flask:
    from citizenvoice.cli import seed_demo_data

    overrides = {"CITIZENVOICE_SMS_URL": f"file://{tmp_path / 'sms.jsonl'}", **settings}
    if backend == "postgresql":
        request.getfixturevalue("_postgresql_app")  # empty tables, this test's Redis
    else:
        path = tmp_path / "cv.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        overrides["DATABASE_URL"] = f"sqlite:///{path}"
        overrides["CITIZENVOICE_AUDIT_ANCHOR"] = str(tmp_path / "audit.anchor")
    app = create_app(testing_config(**overrides))
    with app.app_context():
        seed_demo_data(0)
        db.session.commit()
    return app


@pytest.fixture(params=["postgresql", "sqlite"])
def notify_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app with the demo departments and ``file://tmp/sms.jsonl`` as its SMS channel."""
    app = _notify_app(request, tmp_path, request.param)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_notify_app(
    request: pytest.FixtureRequest, tmp_path: Path, _postgresql_app: Flask
) -> Iterator[Callable[..., Flask]]:
    """Build the app (PostgreSQL) with other notification settings."""
    apps: list[Flask] = []

    def build(**settings: str) -> Flask:
        app = _notify_app(request, tmp_path, "postgresql", **settings)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def sms_lines(app: Flask) -> list[dict[str, Any]]:
    """The messages the file channel wrote, parsed."""
    path = Path(app.config["NOTIFY_SMS_URL"].removeprefix("file://"))
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def file_complaint(app: Flask, **extra: Any) -> int:
    """File a complaint to 城管 through the API; return its id."""
    from sqlalchemy import select

    from citizenvoice.models import Submission

    body = {
        "kind": "complaint",
        "department": "cgzf",
        "text": "夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息。",
        "contact_phone": PHONE,
        **extra,
    }
    response = app.test_client().post("/api/v1/feedback", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        case_id = db.session.scalar(select(Submission.id).order_by(Submission.id.desc()))
        assert case_id is not None
        return case_id
