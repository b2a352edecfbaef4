"""Redis connections: impatient for the web process, patient for workers and commands."""

from __future__ import annotations

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry as RedisRetry

__all__ = ["relay_connection", "web_redis", "worker_redis"]

# The web process must never make a resident wait on Redis: fail fast, no retries.
WEB_REDIS_TIMEOUT_SECONDS = 0.5


def web_redis(url: str) -> redis.Redis[bytes]:
    """A Redis connection for the web process: short timeouts, no retries (FIELD-NOTES)."""
    return redis.Redis.from_url(
        url,
        socket_timeout=WEB_REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=WEB_REDIS_TIMEOUT_SECONDS,
        retry=RedisRetry(NoBackoff(), 0),
        retry_on_timeout=False,
    )


def worker_redis(url: str) -> redis.Redis[bytes]:
    """A Redis connection for workers and commands: patient, with redis-py's default retries."""
    return redis.Redis.from_url(
        url, socket_timeout=30, socket_connect_timeout=5, health_check_interval=30
    )


def relay_connection() -> redis.Redis[bytes] | None:
    """Redis for commands and office pages; None in the embedded default (in-process analysis)."""
    url = current_app.config.get("REDIS_URL")
    if current_app.config.get("ANALYSIS_IN_PROCESS") or not url:
        return None
    return worker_redis(url)
