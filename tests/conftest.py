"""Shared fixtures: the app on real PostgreSQL and Redis, a client, a CLI runner.

The schema is built once per session with the Alembic migrations (so every run also checks
them) and every test starts from empty tables and an empty Redis database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import text
from support import (
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    ensure_postgres_database,
    file_submission,
    testing_config,
)

from citizenvoice import create_app
from citizenvoice.extensions import db


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
def app(_migrated_database: str, redis_client: redis.Redis) -> Iterator[Flask]:
    """The app in the Testing config, on empty tables and an empty Redis database."""
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
