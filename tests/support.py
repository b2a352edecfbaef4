"""Helpers the tests share (importable as ``support``; fixtures live in conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from config import TestingConfig

__all__ = [
    "PROJECT_ROOT",
    "SUBPROCESS_LOGS",
    "TEST_DATABASE_URL",
    "TEST_REDIS_URL",
    "RedisServer",
    "empty_postgres_database",
    "ensure_postgres_database",
    "file_submission",
    "start_worker",
    "testing_config",
    "wait_for",
    "worker_env",
    "worker_log",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


REDIS_DATABASES = 16  # Redis's default "databases" setting


def _per_worker(database_url: str, redis_url: str, worker: str | None) -> tuple[str, str]:
    """The database and Redis URLs of one pytest-xdist worker ("gw0", "gw1", ...).

    Tests empty the database and flush the Redis database they own, so two workers never
    share either: worker N adds "_gwN" to the database name and counts Redis databases down
    from the given one (wrapping round Redis's 16). Without xdist (``worker`` None) the URLs are used as given.
    """
    if not worker:
        return database_url, redis_url
    index = int(worker.removeprefix("gw"))
    redis_parts = urlsplit(redis_url)
    redis_db = (int(redis_parts.path.lstrip("/") or 0) - index) % REDIS_DATABASES
    return (
        f"{database_url}_{worker}",
        urlunsplit(redis_parts._replace(path=f"/{redis_db}")),
    )


TEST_DATABASE_URL, TEST_REDIS_URL = _per_worker(
    os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/citizenvoice_test",
    os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
    os.environ.get("PYTEST_XDIST_WORKER"),
)

# What processes started by the suite logged (file paths, or output read by communicate()):
# the session's log scan (conftest.py) checks it for personal data and tracking codes.
SUBPROCESS_LOGS: list[Path | str] = []


def ensure_postgres_database(url: str) -> None:
    """Create the database named in ``url`` if it does not exist (connects to 'postgres')."""
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.exit(
            f"PostgreSQL is not reachable at {admin}: start it or set DATABASE_URL ({exc})",
            returncode=3,
        )


def empty_postgres_database(url: str) -> None:
    """Create the database in ``url`` if missing and empty its public schema.

    For tests that migrate a database of their own: a run of another branch may have left it
    at revisions this checkout does not know, which Alembic can neither upgrade nor downgrade.
    """
    ensure_postgres_database(url)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def testing_config(**overrides: str) -> TestingConfig:
    """A TestingConfig on the test database and Redis, with environment overrides."""
    env = dict(os.environ)
    env.update({"DATABASE_URL": TEST_DATABASE_URL, "REDIS_URL": TEST_REDIS_URL})
    env.update(overrides)
    return TestingConfig(env)


testing_config.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


class RedisServer:
    """A private redis-server on a free loopback port, for tests that stop and start Redis."""

    def __init__(self, maxmemory_policy: str = "noeviction") -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.maxmemory_policy = maxmemory_policy
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        import redis

        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory-policy",
                self.maxmemory_policy,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    client.close()
                    return
            except redis.RedisError:
                time.sleep(0.05)
        pytest.fail(f"private redis-server on port {self.port} did not start")

    def stop(self) -> None:
        """Stop the server (its data is gone: it keeps nothing on disk)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def worker_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """Environment for a worker or CLI subprocess in the testing configuration."""
    env = dict(os.environ)
    env.update(
        {
            "CITIZENVOICE_ENV": "testing",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PYTHONPATH": str(PROJECT_ROOT),
        }
    )
    env.update(extra)
    return env


def start_worker(env: dict[str, str], *args: str, capture: bool = False) -> subprocess.Popen[bytes]:
    """Start ``python worker.py ARGS`` as a real process.

    With ``capture`` its output comes back through ``communicate()`` (burst workers); otherwise
    it goes to a log file (``process.log_path``), so a long-running worker never blocks on a
    full pipe that nobody reads.
    """
    import tempfile

    log = (
        None
        if capture
        else tempfile.NamedTemporaryFile(prefix="cv-worker-", suffix=".log", delete=False)  # noqa: SIM115 (the worker process owns it)
    )
    process = _RecordedPopen(
        [sys.executable, str(PROJECT_ROOT / "worker.py"), *args],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE if capture else log,
        stderr=subprocess.STDOUT,
    )
    process.log_path = log.name if log else None  # type: ignore[attr-defined]
    if log is not None:
        SUBPROCESS_LOGS.append(Path(log.name))
    return process


class _RecordedPopen(subprocess.Popen):  # type: ignore[type-arg]
    """A Popen whose output read through communicate() is kept for the session's log scan."""

    def communicate(self, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        """As Popen.communicate; the output is also added to SUBPROCESS_LOGS."""
        output, errors = super().communicate(*args, **kwargs)
        for stream in (output, errors):
            if stream:
                text = stream.decode("utf-8", "replace") if isinstance(stream, bytes) else stream
                SUBPROCESS_LOGS.append(text)
        return output, errors


def worker_log(process: subprocess.Popen[bytes]) -> str:
    """What a worker started without ``capture`` has written so far."""
    path = getattr(process, "log_path", None)
    return Path(path).read_text(encoding="utf-8", errors="replace") if path else ""


def wait_for(
    predicate: Callable[[], bool],
    timeout: float,
    interval: float = 0.2,
    explain: Callable[[], str] | None = None,
) -> float:
    """Poll until ``predicate()`` is true; return the seconds it took; fail after ``timeout``.

    ``explain()``, if given, adds what it returns (a worker's log, say) to the failure.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(interval)
    details = f"\n{explain()}" if explain is not None else ""
    pytest.fail(f"condition not met within {timeout} s{details}")


def file_submission(
    app: Any,
    text: str,
    *,
    kind: str = "complaint",
    department: str | None = None,
    title: str = "",
) -> int:
    """Store a submission through the real service (as the site does); return its id.

    A text without letters (emoji only) can no longer be filed, but rows stored before that
    rule hold such texts: it is stored the way such an old row was.
    """
    from citizenvoice.domain.feedback import Channel, has_letters, validate_feedback
    from citizenvoice.extensions import db
    from citizenvoice.services.feedback import submit_feedback

    with app.app_context():
        feedback = validate_feedback(
            {
                "kind": kind,
                "text": text if has_letters(text) else "（旧数据）" + text,
                "department": department,
                "title": title,
                "rating": 4 if kind == "rating" else None,
            }
        )
        submission = submit_feedback(
            feedback, channel=Channel.API, pii=app.extensions["citizenvoice.pii"]
        )
        if not has_letters(text):
            submission.text = text
        db.session.commit()
        return submission.id
