"""The probes ``/healthz`` and ``/readyz``, and what a Redis outage does to the site.

Database outages are in tests/citizenvoice/test_database_outage.py (they need a fault proxy).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from factories import embedded_app, login, make_user
from flask import Flask
from support import TEST_REDIS_URL, RedisServer, testing_config
from tcp_fault_proxy import FaultProxy, within

from citizenvoice import create_app
from citizenvoice.extensions import db, limiter
from config import ConfigError, DevelopmentConfig, TestingConfig, config_for

COMPLAINT = "小区门口的路灯坏了两个星期，晚上出行很不方便，请尽快派人修理。"


def test_liveness_and_readiness_answer_json_without_a_cookie(client) -> None:
    client.get("/submit/complaint")  # a session (CSRF token) exists in this client now
    alive = client.get("/healthz")
    assert alive.status_code == 200
    assert alive.get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    for response in (alive, ready):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
        assert response.content_type == "application/json"


def test_the_probes_are_exempt_from_rate_limits(app: Flask) -> None:
    limited = create_app(
        testing_config(),
        overrides={"RATELIMIT_DEFAULT": "2/minute", "RATELIMIT_STORAGE_URI": "memory://"},
    )
    client = limited.test_client()
    try:
        assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
        assert [client.get("/readyz").status_code for _ in range(5)] == [200] * 5
        # The same app does limit an ordinary page: the exemption is what lets the probes by.
        assert [client.get("/track").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        # The limiter is one object for every app of the process: the default limit it took
        # from this app's config must not reach the apps of later tests.
        limiter.limit_manager.set_default_limits([])
        with limited.app_context():
            db.engine.dispose()


def test_the_probes_need_no_csrf_token_and_take_only_get(client) -> None:
    assert client.post("/readyz").status_code == 405
    assert client.post("/healthz").status_code == 405


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Flask]:
    keys = {
        "SECRET_KEY": "health-test-secret",
        "CITIZENVOICE_PII_KEY": "health-test-pii",
        "CITIZENVOICE_AUDIT_KEY": "health-test-audit",
        "CITIZENVOICE_AUDIT_ANCHOR": str(tmp_path / "audit.anchor"),
    }
    yield from embedded_app(tmp_path / "embedded.sqlite3", seed=False, **keys)


@pytest.mark.slow
def test_the_embedded_default_is_ready_without_redis(embedded: Flask) -> None:
    response = embedded.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not_configured"},
    }


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_app(seeded: Flask, private_redis: RedisServer) -> Iterator[Flask]:
    """The seeded app with its queues and rate limits on a private Redis the test can stop."""
    app = create_app(testing_config(REDIS_URL=private_redis.url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
def test_redis_down_readiness_names_it_and_the_site_degrades(
    redis_app: Flask, private_redis: RedisServer
) -> None:
    office = login(redis_app, make_user(redis_app, "office"))
    private_redis.stop()
    client = redis_app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["Retry-After"].isdigit()
    assert ready.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "down"},
    }
    assert client.get("/healthz").status_code == 200
    # Submissions still succeed (the rate limiter falls back to memory, the outbox keeps
    # the analysis request), and the office's queue page says what it cannot show.
    filed = client.post(
        "/api/v1/feedback", json={"kind": "complaint", "department": None, "text": COMPLAINT}
    )
    assert filed.status_code == 201
    assert client.get("/submit/complaint").status_code == 200
    queue = office.get("/office/queue")
    assert queue.status_code == 200
    assert 'id="redis-error"' in queue.get_data(as_text=True)
    private_redis.start()
    assert client.get("/readyz").status_code == 200


def test_postgresql_connections_get_bounded_waits_from_the_settings() -> None:
    env = {
        "DATABASE_URL": "postgresql://citizen@db.internal:5432/citizenvoice",
        "CITIZENVOICE_DB_CONNECT_TIMEOUT": "3",
        "CITIZENVOICE_DB_POOL_TIMEOUT": "1.5",
        "CITIZENVOICE_DB_STATEMENT_TIMEOUT": "12.5",
    }
    options = TestingConfig(env).SQLALCHEMY_ENGINE_OPTIONS
    assert options["pool_pre_ping"] is True
    assert options["pool_timeout"] == 1.5
    assert options["connect_args"] == {
        "connect_timeout": 3,
        "options": "-c statement_timeout=12500",
    }
    defaults = TestingConfig({"DATABASE_URL": env["DATABASE_URL"]}).SQLALCHEMY_ENGINE_OPTIONS
    assert defaults["connect_args"]["connect_timeout"] == 2
    assert defaults["connect_args"]["options"] == "-c statement_timeout=30000"


def test_sqlite_gets_no_postgresql_connection_options(tmp_path: Path) -> None:
    config = DevelopmentConfig(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "s"}
        | {"CITIZENVOICE_PII_KEY": "p", "CITIZENVOICE_AUDIT_KEY": "a"}
    )
    assert "connect_args" not in config.SQLALCHEMY_ENGINE_OPTIONS


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf", "nan"])
def test_a_database_timeout_that_is_not_a_positive_number_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="CITIZENVOICE_DB_POOL_TIMEOUT"):
        config_for("testing", {"CITIZENVOICE_DB_POOL_TIMEOUT": value})


@pytest.fixture
def silent_redis_app(seeded: Flask) -> Iterator[tuple[Flask, FaultProxy]]:
    """The seeded app reaching the test Redis through a fault proxy the test can silence."""
    parts = urlsplit(TEST_REDIS_URL)
    proxy = FaultProxy((parts.hostname or "127.0.0.1", parts.port or 6379))
    app = create_app(testing_config(REDIS_URL=f"redis://{proxy.address}{parts.path}"))
    yield app, proxy
    proxy.close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
def test_the_queue_page_and_readiness_answer_while_redis_is_silent(
    silent_redis_app: tuple[Flask, FaultProxy],
) -> None:
    app, proxy = silent_redis_app
    office = login(app, make_user(app, "office"))
    proxy.blackhole()
    queue = within(5, lambda: office.get("/office/queue"))
    assert queue.status_code == 200
    assert 'id="redis-error"' in queue.get_data(as_text=True)
    ready = within(5, lambda: app.test_client().get("/readyz"))
    assert ready.status_code == 503
    assert ready.get_json()["checks"] == {"database": "ok", "redis": "down"}
    filed = within(
        5,
        lambda: app.test_client().post(
            "/api/v1/feedback", json={"kind": "complaint", "department": None, "text": COMPLAINT}
        ),
    )
    assert filed.status_code == 201
