"""Users, signed-in clients and cases for the tests, made through the real services and pages.

Importable as ``factories`` (like ``support``). The conftest fixtures ``auth``, ``make_user``
and ``make_case`` bind these to the test's app; the functions themselves take the app, so a
module that builds an app of its own (a private SQLite file, a chain app) uses them directly.
Accounts are created with ``services.accounts.create_user`` (what ``flask users create``
calls), signed in through the real login form, and cases are filed with ``submit_feedback``
and walked with ``services.workflow.perform``: no shortcut a real user could not take.
"""

from __future__ import annotations

import atexit
import itertools
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Flask, has_app_context
from flask.testing import FlaskClient
from support import file_submission
from werkzeug.test import TestResponse

__all__ = [
    "PASSWORD",
    "STAGES",
    "AuthActions",
    "case_action",
    "case_reply",
    "csrf_token",
    "embedded_app",
    "file_case",
    "follow_ups",
    "login",
    "make_model_version",
    "make_user",
    "page_token",
    "post_follow_up",
    "post_login",
    "sign_in",
]

PASSWORD = "correct-horse-battery"
# How far ``file_case`` walks a case: each stage includes the ones before it.
STAGES = ("filed", "signed", "replied", "followed_up")
REPLY = (
    "您好！经调查核实，反映的问题属实。我局已安排工作人员现场处理，目前问题已解决。"
    "如有疑问请拨打联系电话0731-12345678。感谢您的监督！"
)

_numbers = itertools.count(1)


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form in ``html``; fails the test if the page has none."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return unescape(match.group(1))


def page_token(client: FlaskClient, path: str = "/submit/complaint") -> str:
    """GET the form page at ``path`` (it must answer 200) and return its CSRF token."""
    response = client.get(path)
    assert response.status_code == 200, path
    return csrf_token(response.get_data(as_text=True))


def make_user(
    app: Flask,
    role: str,
    department: str | None = None,
    username: str | None = None,
    password: str = PASSWORD,
) -> str:
    """Create an active staff account (as ``flask users create`` does); return its username."""
    from citizenvoice.extensions import db
    from citizenvoice.services.accounts import create_user

    username = username or f"{department or role}_{next(_numbers)}"
    with app.app_context():
        create_user(username, password, role, department)
        db.session.commit()
    return username


def post_login(
    client: FlaskClient,
    username: str,
    password: str = PASSWORD,
    *,
    next_: str | None = None,
    environ_base: dict[str, str] | None = None,
) -> TestResponse:
    """Fill in and send the login form on ``client``; the response, whatever it is."""
    extra: dict[str, Any] = {} if environ_base is None else {"environ_base": environ_base}
    page = client.get("/login", **extra).get_data(as_text=True)
    url = "/login" if next_ is None else "/login?next=" + quote(next_, safe="")
    return client.post(
        url,
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
        **extra,
    )


def sign_in(
    app: Flask,
    username: str,
    password: str = PASSWORD,
    *,
    client: FlaskClient | None = None,
    next_: str | None = None,
    expect: int | None = 303,
) -> tuple[FlaskClient, TestResponse]:
    """Sign in through the login form on ``client`` (a new one of ``app`` if none).

    Returns the client and the login response; ``expect`` is the status the login must answer
    (None: any, for tests about refused sign-ins).
    """
    client = client or app.test_client()
    response = post_login(client, username, password, next_=next_)
    if expect is not None:
        assert response.status_code == expect, response.get_data(as_text=True)[:500]
    return client, response


def login(app: Flask, username: str, password: str = PASSWORD, **kwargs: Any) -> FlaskClient:
    """A new client of ``app`` signed in as ``username`` (the login must answer 303)."""
    return sign_in(app, username, password, **kwargs)[0]


class AuthActions:
    """Sign staff in and out of one app, as the Flask tutorial's ``auth`` fixture does.

    ``login`` returns a signed-in test client: a new one each call, so a test can hold several
    users at once; ``logout`` signs out the given client (the last signed-in one by default).
    """

    def __init__(self, app: Flask) -> None:
        """Bind to ``app``."""
        self.app = app
        self.client: FlaskClient | None = None

    def login(
        self,
        username: str,
        password: str = PASSWORD,
        *,
        client: FlaskClient | None = None,
        next_: str | None = None,
    ) -> FlaskClient:
        """Sign ``username`` in (the login must answer 303) and return the client."""
        self.client, _response = sign_in(self.app, username, password, client=client, next_=next_)
        return self.client

    def logout(self, client: FlaskClient | None = None) -> TestResponse:
        """Sign out through the logout form (its CSRF token read off the staff home page)."""
        client = client or self.client
        assert client is not None, "nobody is signed in"
        page = client.get("/staff").get_data(as_text=True)
        return client.post("/logout", data={"csrf_token": csrf_token(page)})


def case_action(client: FlaskClient, case_id: int, action: str, **fields: str) -> TestResponse:
    """Press an action button (sign, return, request_extension, ...) on the workspace case page."""
    page = client.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    return client.post(
        f"/workspace/cases/{case_id}/action",
        data={"csrf_token": csrf_token(page), "action": action, **fields},
    )


def case_reply(
    client: FlaskClient, case_id: int, body: str, *, confirm: bool = False
) -> TestResponse:
    """Send a reply from the workspace case page (``confirm``: past the quality check)."""
    page = client.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "body": body}
    if confirm:
        data["confirm"] = "1"
    return client.post(f"/workspace/cases/{case_id}/reply", data=data)


def post_follow_up(client: FlaskClient, code: str, **answers: str) -> TestResponse:
    """Answer the follow-up form on the resident's tracking page of ``code``."""
    page = client.get(f"/track/{code}").get_data(as_text=True)
    return client.post(f"/track/{code}/follow-up", data={"csrf_token": csrf_token(page), **answers})


# Migrated (and seeded) SQLite files, made once per process and month (the seed adds the
# current appraisal periods): copying one costs milliseconds where migrating costs ~1 s.
_EMBEDDED_TEMPLATES: dict[tuple[bool, str], Path] = {}


def _embedded_template(seed: bool) -> Path:
    """The migrated (with ``seed``: seeded) SQLite template for ``embedded_app``."""
    from flask_migrate import upgrade

    from citizenvoice import create_app
    from citizenvoice.cli import seed_demo_data
    from citizenvoice.extensions import db
    from config import DevelopmentConfig

    key = (seed, datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m"))
    if key not in _EMBEDDED_TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="cv-embedded-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "template.sqlite3"
        config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{path}"})
        config.DATA_DIR = None
        app = create_app(config)
        with app.app_context():
            upgrade()
            if seed:
                seed_demo_data(0)
                db.session.commit()
            db.session.remove()
            db.engine.dispose()
        runner = app.extensions.get("citizenvoice.runner")
        if runner is not None:
            runner.shutdown()
        _EMBEDDED_TEMPLATES[key] = path
    return _EMBEDDED_TEMPLATES[key]


def embedded_app(database: Path, *, seed: bool = True, **env: str) -> Iterator[Flask]:
    """The embedded default on a fresh SQLite file, for a fixture to ``yield from``.

    DevelopmentConfig (analysis on a thread of the process, no Redis queue) with the built-in
    sample rather than the shared data, migrated with Alembic and, with ``seed``, holding the
    demo departments (a copy of a template migrated and seeded once per process); ``env`` adds
    settings (keys, an audit anchor). Afterwards the in-process runner is shut down and the
    connections closed, so the file can go with ``tmp_path``.
    """
    from citizenvoice import create_app
    from citizenvoice.extensions import db
    from config import DevelopmentConfig

    shutil.copyfile(_embedded_template(seed), database)
    config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{database}", **env})
    config.DATA_DIR = None
    app = create_app(config)
    yield app
    runner = app.extensions.get("citizenvoice.runner")
    if runner is not None:
        runner.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def file_case(
    app: Flask,
    text: str,
    *,
    until: str = "filed",
    department: str = "cgzf",
    title: str = "",
    kind: str = "complaint",
    reply: str = REPLY,
    satisfaction: str = "satisfied",
) -> dict[str, Any]:
    """File a case through the real service and walk it ``until`` a stage in :data:`STAGES`.

    Signing, replying and the follow-up go through ``services.workflow.perform`` with the
    department's staff and the resident as actors. Returns the case's ``id``, ``code`` and
    ``status``.
    """
    from citizenvoice.domain.accounts import Role
    from citizenvoice.domain.cases import Satisfaction
    from citizenvoice.domain.workflow import Action, Actor, ActorRole, FollowUp
    from citizenvoice.extensions import db
    from citizenvoice.models import Submission
    from citizenvoice.services.workflow import perform

    stage = STAGES.index(until)
    case_id = file_submission(app, text, kind=kind, department=department, title=title)
    with app.app_context():
        case = db.session.get(Submission, case_id)
        assert case is not None
        staff = Actor.staff(Role.DEPARTMENT_STAFF, department, f"{department}_staff")
        if stage >= STAGES.index("signed"):
            perform(case, Action.SIGN, staff)
        if stage >= STAGES.index("replied"):
            perform(case, Action.REPLY, staff, reply_body=reply)
        if stage >= STAGES.index("followed_up"):
            answer = Satisfaction(satisfaction)
            follow_up = FollowUp(
                contacted=True,
                resolved=answer is not Satisfaction.DISSATISFIED,
                satisfaction=answer,
            )
            perform(case, Action.FOLLOW_UP, Actor(ActorRole.RESIDENT), follow_up=follow_up)
        db.session.commit()
        return {"id": case_id, "code": case.tracking_code, "status": case.status}


def follow_ups(app: Flask, department: str, satisfied: int, dissatisfied: int) -> list[int]:
    """Filed cases of ``department`` with follow-up rows as residents leave them; their ids.

    The rows are written directly (not walked through the workflow), so hundreds cost little;
    the dissatisfied answers spread evenly, as real ones are (a long run of identical top
    scores is itself an anomaly the appraisal's integrity check holds).
    """
    from sqlalchemy import select

    from citizenvoice.extensions import db
    from citizenvoice.models import Department, FollowUp

    total = satisfied + dissatisfied
    case_ids = [
        file_submission(
            app, f"{department} 第{i}件诉求：小区门口路灯坏了很久没人修。", department=department
        )
        for i in range(total)
    ]
    unhappy = (
        {round((k + 0.5) * total / dissatisfied) for k in range(dissatisfied)}
        if dissatisfied
        else set()
    )
    with app.app_context():
        dept = db.session.scalar(select(Department).where(Department.code == department))
        assert dept is not None, department
        for i, case_id in enumerate(case_ids):
            db.session.add(
                FollowUp(
                    submission_id=case_id,
                    department_id=dept.id,
                    contacted=True,
                    resolved=i not in unhappy,
                    satisfaction="dissatisfied" if i in unhappy else "satisfied",
                )
            )
        db.session.commit()
    return case_ids


def make_model_version(
    app: Flask,
    version: str,
    metrics: dict[str, Any],
    kind: str = "category",
    *,
    reference: bool = True,
) -> Path:
    """A registry challenger without training: the shipped ``kind`` model copied as ``version``.

    The copy is renamed inside (``model.json``'s version, so analyses name it), ``metrics`` are
    stored with the shipped model as their baseline, and the checksums are those of the copy.
    ``reference=False`` leaves out ``reference.json`` (a version trained before versions had
    their own). Runs in the caller's app context, or in its own when there is none. Returns the
    version's directory under ``MODEL_REGISTRY_DIR``.
    """
    import nlp
    from citizenvoice.extensions import db
    from citizenvoice.models import ModelVersion
    from citizenvoice.services.model_registry import file_checksums, shipped_version
    from nlp.drift import REFERENCE_FILE

    directory = Path(app.config["MODEL_REGISTRY_DIR"]) / kind / version
    shutil.copytree(nlp.shipped_model_dir(kind), directory)
    meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    meta["params"]["version"] = version
    (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    if not reference:
        (directory / REFERENCE_FILE).unlink(missing_ok=True)
    figures = json.loads(json.dumps(metrics))
    with nullcontext() if has_app_context() else app.app_context():
        figures.setdefault("baseline", {})["version"] = shipped_version(kind)
        db.session.add(
            ModelVersion(
                kind=kind,
                version=version,
                status="challenger",
                dir=str(directory),
                metrics=figures,
                card={},
                checksums=file_checksums(directory),
            )
        )
        db.session.commit()
    return directory
