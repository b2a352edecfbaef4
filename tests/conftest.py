"""Shared fixtures: the app on real PostgreSQL and Redis, a client, a CLI runner.

The schema is built once per session with the Alembic migrations (so every run also checks
them) and every test starts from empty tables and an empty Redis database.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import factories
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import text
from support import (
    SUBPROCESS_LOGS,
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    ensure_postgres_database,
    file_submission,
    testing_config,
)

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.log_redaction import SENSITIVE_PATTERNS


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    """A real Redis connection on the test database number."""
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.exit(
            f"Redis is not reachable at {TEST_REDIS_URL}: start it or set REDIS_URL ({exc})",
            returncode=3,
        )
    yield client
    client.close()


@pytest.fixture(scope="session")
def _migrated_database() -> str:
    ensure_postgres_database(TEST_DATABASE_URL)
    app = create_app(testing_config())
    with app.app_context():
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
        upgrade()
        db.engine.dispose()
    return TEST_DATABASE_URL


def _truncate_all(app: Flask) -> None:
    """Empty every table. DELETE in dependency order costs milliseconds on small tables where
    TRUNCATE costs ~0.3 s; after bulk loads (more than a few thousand rows) TRUNCATE is faster."""
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        big = db.session.execute(
            text("SELECT count(*) FROM (SELECT 1 FROM submission LIMIT 5001) s")
        ).scalar()
        if big and big > 5000:
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()


@pytest.fixture
def app(_postgresql_app: Flask) -> Flask:
    """The app in the Testing config, on empty tables and an empty Redis database."""
    return _postgresql_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for the app's flask commands."""
    return app.test_cli_runner()


@pytest.fixture
def seeded(app: Flask) -> Flask:
    """The app with the demo departments (no demo submissions)."""
    from citizenvoice.cli import seed_demo_data

    with app.app_context():
        seed_demo_data(0)
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def analyzer():
    """The real nlp Analyzer with the committed default models (loaded once per session)."""
    from nlp.pipeline import Analyzer

    return Analyzer.load()


@pytest.fixture
def file_case(seeded: Flask):
    """A function that files a case on the seeded app and returns its id."""

    def _file(text: str, **kwargs) -> int:
        return file_submission(seeded, text, **kwargs)

    return _file


@pytest.fixture
def auth(app: Flask) -> factories.AuthActions:
    """Sign staff in and out: ``auth.login(username)`` returns a signed-in client."""
    return factories.AuthActions(app)


@pytest.fixture
def make_user(app: Flask):
    """A function ``make_user(role, department=None, username=None, password=PASSWORD)`` that
    creates a staff account through the real service and returns its username."""

    def _make(
        role: str,
        department: str | None = None,
        username: str | None = None,
        password: str = factories.PASSWORD,
    ) -> str:
        return factories.make_user(app, role, department, username, password)

    return _make


@pytest.fixture
def make_case(seeded: Flask):
    """A function that files a case on the seeded app and walks it ``until`` a stage
    (filed, signed, replied, followed_up); returns its ``id`` and ``code``."""

    def _make(text: str, **kwargs):
        return factories.file_case(seeded, text, **kwargs)

    return _make


# --- The same app on either database, for the journeys (workflow, follow-up, appraisal, e2e) ---
# The embedded default every newcomer runs is SQLite; the journeys run on it as well as on
# PostgreSQL so a dialect difference (naive datetimes, JSON, bulk SQL) cannot hide. Only the
# journey modules opt in (they override ``app`` with ``db_app``): the rest of the suite stays
# on PostgreSQL alone, which keeps the run time down.
BACKENDS = ["postgresql", "sqlite"]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file migrated once with Alembic; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    app = create_app(testing_config(DATABASE_URL=f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return str(path)


@pytest.fixture(params=BACKENDS)
def db_app(
    request: pytest.FixtureRequest, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[Flask]:
    """The app in the Testing config on PostgreSQL or on a fresh migrated SQLite file.

    SQLite keeps the testing config's Redis queue (analysis is requested, never run on a
    thread of its own), so the only difference between the two is the database.
    """
    if request.param == "postgresql":
        yield request.getfixturevalue("_postgresql_app")
        return
    redis_client.flushdb()
    from citizenvoice.extensions import limiter

    limiter._storage_dead = False  # as in _postgresql_app
    path = tmp_path / "citizenvoice.sqlite3"
    shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
    application = create_app(
        testing_config(
            DATABASE_URL=f"sqlite:///{path}",
            CITIZENVOICE_AUDIT_ANCHOR=str(tmp_path / "audit.anchor"),
        )
    )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def _postgresql_app(_migrated_database: str, redis_client: redis.Redis) -> Iterator[Flask]:
    """The app on PostgreSQL, empty tables and an empty Redis database (``app`` by default;
    under its own name so ``db_app`` can ask for it where a module overrides ``app``)."""
    redis_client.flushdb()
    from citizenvoice.extensions import limiter

    limiter._storage_dead = False  # a previous test's Redis outage must not leak into this one
    application = create_app(testing_config())
    _truncate_all(application)
    # The audit anchor belongs to this (now empty) database: start it afresh too.
    Path(application.config["AUDIT_ANCHOR"]).unlink(missing_ok=True)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


# --- The session's log scan ----------------------------------------------------------------
# The product must never log a phone number, an ID number or a tracking code. Every record
# logged in this process during the run (at INFO and above) and what the worker processes the
# suite started wrote is scanned with the product's own patterns; at the end of the session a
# finding fails the run. Test data with phone numbers in it is meant to be caught, not allowed.


class _LogScan(logging.Handler):
    """Root handler for the whole session: keeps only the lines that match a pattern."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.findings: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is logging's own problem, not a leak
            return
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        text = "\n".join(t for t in (text, record.exc_text, record.stack_info) if t)
        self.findings.extend(_scan(text, f"log record {record.name}"))


def _scan(text: str, source: str) -> list[str]:
    findings = []
    for name, pattern in SENSITIVE_PATTERNS.items():
        for match in pattern.finditer(text):
            line_start = text.rfind("\n", 0, match.start()) + 1
            line_end = text.find("\n", match.end())
            line = text[line_start : line_end if line_end >= 0 else None]
            findings.append(f"{source}: {name} {match.group()!r} in: {line[:300]}")
    return findings


_LOG_SCAN = _LogScan()


def pytest_configure(config: pytest.Config) -> None:
    """Install the session's log scan on the root logger and let INFO records through."""
    root = logging.getLogger()
    root.addHandler(_LOG_SCAN)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Put the scan back if something reconfigured logging (logging.config drops handlers)."""
    root = logging.getLogger()
    if _LOG_SCAN not in root.handlers:
        root.addHandler(_LOG_SCAN)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


# Findings of pytest-xdist workers, handed to the controlling process as each worker ends.
_XDIST_FINDINGS: list[str] = []


@pytest.hookimpl(optionalhook=True)  # an xdist hook: a run with -p no:xdist has no such spec
def pytest_testnodedown(node: Any, error: object) -> None:
    """(pytest-xdist, controller) Collect a finished worker's log findings."""
    _XDIST_FINDINGS.extend(getattr(node, "workeroutput", {}).get("log_findings", []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Scan what worker processes logged too; fail the run on any finding.

    Under pytest-xdist each worker scans its own logs and hands its findings to the controller,
    which reports them all and fails the run (a worker's exit status is not the run's).
    """
    logging.getLogger().removeHandler(_LOG_SCAN)
    findings = list(_LOG_SCAN.findings)
    for entry in SUBPROCESS_LOGS:
        if isinstance(entry, Path):
            if not entry.exists():
                continue
            findings.extend(_scan(entry.read_text("utf-8", "replace"), f"process log {entry}"))
        else:
            findings.extend(_scan(entry, "process output"))
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["log_findings"] = findings
        return
    findings.extend(_XDIST_FINDINGS)
    if not findings:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.section("personal data or tracking codes in logs", sep="=", red=True)
        for finding in findings[:50]:
            reporter.line(finding, red=True)
        reporter.line(f"{len(findings)} finding(s): the product must never log these.")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- Markers from the services a test needs, read off the fixtures it uses ---
# ``make check`` deselects every test marked here (and ``slow``) so the inner loop needs no
# PostgreSQL, Redis, worker process or Chromium; ``make test`` runs them all. Marking by fixture
# rather than by hand means a new test cannot forget its marker. Worker processes start inside
# test bodies, not fixtures, so test_queue_reliability marks itself ``worker``; a test that
# opens a service on its own marks itself too (``make check`` points the URLs at a closed port,
# so one that forgets stops the run).
SERVICE_FIXTURES = {
    "postgres": {"_migrated_database", "_postgresql_app"},
    "redis": {"redis_client", "private_redis"},
}


def service_markers(item: pytest.Item) -> set[str]:
    """The service markers an item needs, from its fixture closure and its database parameter."""
    fixtures = set(getattr(item, "fixturenames", ()))
    needed = {marker for marker, names in SERVICE_FIXTURES.items() if fixtures & names}
    # Every Chromium fixture is named *_browser (phone_browser, desk_browser, desktop_browser).
    if any(name.endswith("_browser") for name in fixtures):
        needed.add("browser")
    # The two-database fixtures (db_app and the modules' own) ask for the PostgreSQL app at run
    # time (getfixturevalue), so the closure does not show it: the parameter "postgresql" says
    # which database the test runs on. (db_app's SQLite variant still uses Redis: redis_client.)
    callspec = getattr(item, "callspec", None)
    if callspec is not None and any(
        isinstance(value, str) and value == "postgresql" for value in callspec.params.values()
    ):
        needed.add("postgres")
    return needed


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test with the services its fixtures need (see SERVICE_FIXTURES)."""
    for item in items:
        for marker in sorted(service_markers(item) - {m.name for m in item.iter_markers()}):
            item.add_marker(marker)
