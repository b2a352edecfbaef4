"""Helpers the tests share (importable as ``support``; fixtures live in conftest.py)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from config import TestingConfig

__all__ = ["TEST_DATABASE_URL", "TEST_REDIS_URL", "ensure_postgres_database", "testing_config"]

TEST_DATABASE_URL = (
    os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/citizenvoice_test"
)
TEST_REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


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


def testing_config(**overrides: str) -> TestingConfig:
    """A TestingConfig on the test database and Redis, with environment overrides."""
    env = dict(os.environ)
    env.update({"DATABASE_URL": TEST_DATABASE_URL, "REDIS_URL": TEST_REDIS_URL})
    env.update(overrides)
    return TestingConfig(env)


testing_config.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test
