"""Probes for load balancers and supervisors: ``/healthz`` (alive) and ``/readyz`` (can serve).

Both answer JSON, set no cookie, need no CSRF token and count against no rate limit, so a
probe every second never locks anyone out. ``/healthz`` touches nothing outside the process;
``/readyz`` asks PostgreSQL for ``SELECT 1`` and Redis for ``PING``, each bounded by a few
seconds, and names what is down (docs/health.md).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from citizenvoice.blueprints.security import no_store
from citizenvoice.extensions import db, limiter
from citizenvoice.jobs import web_redis

__all__ = ["health_blueprint"]

health_blueprint = Blueprint("health", __name__)
health_blueprint.after_request(no_store)
limiter.exempt(health_blueprint)

# What a check answers: "not_configured" (no Redis in the embedded default) does not fail
# readiness; "down" does.
OK, DOWN, NOT_CONFIGURED = "ok", "down", "not_configured"
RETRY_AFTER_SECONDS = 10


@health_blueprint.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers HTTP. No database or Redis call."""
    return jsonify(status="ok")


@health_blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: 200 when the database (and Redis, where configured) answer, else 503."""
    checks = {"database": _database_check(), "redis": _redis_check()}
    if DOWN in checks.values():
        response = jsonify(status="unavailable", checks=checks)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response, 503
    return jsonify(status="ok", checks=checks), 200


def _database_check() -> str:
    """``SELECT 1`` with the statement bounded by the connect timeout (PostgreSQL)."""
    bound_ms = int(float(current_app.config["DB_CONNECT_TIMEOUT"]) * 1000)
    try:
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SET LOCAL statement_timeout = {bound_ms}"))
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        current_app.logger.warning("readiness: database unavailable (%s)", type(exc).__name__)
        return DOWN
    return OK


def _redis_check() -> str:
    """``PING`` with the web process's short Redis timeouts; not_configured without Redis."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return NOT_CONFIGURED
    connection = web_redis(url)
    try:
        connection.ping()
    except Exception as exc:  # any Redis or socket error means "not ready"
        current_app.logger.warning("readiness: Redis unavailable (%s)", type(exc).__name__)
        return DOWN
    finally:
        connection.close()
    return OK
