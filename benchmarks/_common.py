"""What the benchmark scripts share: a scratch PostgreSQL database and the app on it.

A benchmark never touches the test or the production database: it drops and recreates its own
on the server of ``DATABASE_URL`` (``--database`` picks the name, so two runs side by side do
not drop each other's).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg
from flask import Flask

from citizenvoice import create_app
from config import TestingConfig

__all__ = ["DEFAULT_REDIS_URL", "bench_app", "bench_database_url", "recreate_database"]

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def bench_database_url(name: str) -> str:
    """The URL of database ``name`` on the server of DATABASE_URL (or the local default)."""
    base = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    parts = urlsplit(base.replace("postgresql+psycopg://", "postgresql://"))
    return urlunsplit(parts._replace(path="/" + name))


def recreate_database(name: str) -> str:
    """DROP (forcing out other sessions) and CREATE database ``name``; return its URL."""
    url = bench_database_url(name)
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def bench_app(database_url: str, **overrides: str) -> Flask:
    """The app with the testing configuration on ``database_url`` (Redis from REDIS_URL)."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
            **overrides,
        }
    )
    return create_app(TestingConfig(env))
