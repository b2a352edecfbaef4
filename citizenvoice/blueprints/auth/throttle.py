"""Per-account sign-in back-off, beside the per-address limit on the login view.

Failures are counted per username (whether or not the account exists, so the answer reveals
nothing) in the rate limiter's own storage: Redis in testing and production, so every web
process sees the same counts and they survive a restart of one process; memory in the
embedded default, where there is one process. Keeping them out of the database means a
locked-out attacker's requests cost no writes and no audit noise. The schedule of locks is a
domain rule (``citizenvoice.domain.accounts``).
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app
from limits.storage import Storage

from citizenvoice.domain.accounts import (
    LOCK_MEMORY_SECONDS,
    LOGIN_FAILURE_WINDOW_SECONDS,
    LOGIN_FAILURES_BEFORE_LOCK,
    lockout_seconds,
)
from citizenvoice.extensions import limiter

__all__ = ["locked_for", "record_failure", "record_success", "wait_message"]

_PREFIX = "citizenvoice:login"


def _key(kind: str, username: str) -> str:
    # Hashed so keys have one length and no raw input reaches the storage's key space.
    digest = hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"{_PREFIX}:{kind}:{digest}"


def _storage() -> Storage | None:
    try:
        return limiter.storage
    except AssertionError:  # limiter not initialised (should not happen in a running app)
        return None


def locked_for(username: str) -> int:
    """Seconds until ``username`` may try again (0 when it is not locked)."""
    storage = _storage()
    if storage is None:
        return 0
    try:
        key = _key("lock", username)
        if not storage.get(key):
            return 0
        return max(1, math.ceil(storage.get_expiry(key) - time.time()))
    except Exception:  # storage outage: the per-address limit still applies
        current_app.logger.warning("login back-off storage unavailable", exc_info=True)
        return 0


def record_failure(username: str) -> int:
    """Count a failed sign-in; lock the username when it reached the limit. Lock seconds or 0."""
    storage = _storage()
    if storage is None:
        return 0
    try:
        failures = storage.incr(_key("fail", username), LOGIN_FAILURE_WINDOW_SECONDS)
        if failures < LOGIN_FAILURES_BEFORE_LOCK:
            return 0
        lock_number = storage.incr(_key("locks", username), LOCK_MEMORY_SECONDS)
        seconds = lockout_seconds(lock_number)
        storage.clear(_key("lock", username))
        storage.incr(_key("lock", username), seconds)
        # After a lock the count starts again: each further round of failures locks longer.
        storage.clear(_key("fail", username))
        return seconds
    except Exception:
        current_app.logger.warning("login back-off storage unavailable", exc_info=True)
        return 0


def record_success(username: str) -> None:
    """Forget the failures of a username that signed in."""
    storage = _storage()
    if storage is None:
        return
    try:
        storage.clear(_key("fail", username))
        storage.clear(_key("locks", username))
    except Exception:
        current_app.logger.warning("login back-off storage unavailable", exc_info=True)


def wait_message(seconds: int) -> str:
    """The Chinese sentence telling how long to wait."""
    if seconds >= 60:
        return f"该账号登录失败次数过多，请 {math.ceil(seconds / 60)} 分钟后再试"
    return f"该账号登录失败次数过多，请 {seconds} 秒后再试"
