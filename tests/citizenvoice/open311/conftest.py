"""Fixtures for the Open311 tests: the app on PostgreSQL or SQLite behind a live HTTP server,
an API key made with the CLI, and the published GeoReport v2 JSON schemas.

The schemas are read from ``<DATA_DIR>/open311-schemas`` (DATA_DIR is the shared data folder
beside the repository, or ``CITIZENVOICE_DATA_DIR``), like the tipdm data: without them the
schema checks skip, the rest runs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import embedded_app
from flask import Flask
from support import testing_config
from werkzeug.serving import make_server

SCHEMA_FOLDER = "open311-schemas"


@pytest.fixture(params=["postgresql", "sqlite"])
def o311_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The seeded app on the test PostgreSQL database, or the embedded default on SQLite."""
    if request.param == "postgresql":
        app = request.getfixturevalue("seeded")
        app.config["SUBMISSION_RATE_LIMIT"] = "1000/minute"
        yield app
        return
    for app in embedded_app(tmp_path / "open311.sqlite3"):
        app.config["SUBMISSION_RATE_LIMIT"] = "1000/minute"
        yield app


@pytest.fixture
def live(o311_app: Flask) -> Iterator[str]:
    """A threaded HTTP server on a free port serving the app; yields its base URL."""
    server = make_server("127.0.0.1", 0, o311_app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def api_key(o311_app: Flask) -> str:
    """A fresh key made with ``flask open311 keys create`` (the last word of its output)."""
    result = o311_app.test_cli_runner().invoke(
        args=["open311", "keys", "create", "--name", "test-client"]
    )
    assert result.exit_code == 0, result.output
    return result.output.split()[-1]


def schema_dir() -> Path | None:
    """The folder of the published schemas, or None when DATA_DIR does not have them."""
    return _schema_dir()


def _schema_dir() -> Path | None:
    data_dir = testing_config().DATA_DIR
    folder = Path(data_dir) / SCHEMA_FOLDER if data_dir else None
    return folder if folder is not None and (folder / "requests.json").is_file() else None


@pytest.fixture(scope="session")
def validate() -> Callable[[str, Any], None]:
    """``validate(schema_file, document)``: check a JSON answer against a published schema."""
    folder = _schema_dir()
    if folder is None:  # the schema checks skip (test_schemas_are_there says so), the rest runs
        return lambda schema_file, document: None
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    schemas = {p.name: json.loads(p.read_text("utf-8")) for p in folder.glob("*.json")}
    registry: Registry = Registry().with_resources(
        (name, Resource.from_contents(body, default_specification=DRAFT7))
        for name, body in schemas.items()
    )

    def _validate(schema_file: str, document: Any) -> None:
        validator = Draft7Validator(schemas[schema_file], registry=registry)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])

    return _validate
