"""A small per-process cache of the public portal's aggregates (PORTAL_CACHE_SECONDS).

The portal's figures change by the hour; a burst of visitors must not rerun the same GROUP BY
queries. Each process keeps the last value per key for the configured number of seconds (0
turns the cache off, as in testing). Values are plain data, never ORM objects.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

__all__ = ["cached", "clear"]

T = TypeVar("T")
_LOCK = threading.Lock()
# Bounded so a crawler walking every period and department cannot grow memory without end.
_MAX_ENTRIES = 512


def _store() -> dict[str, tuple[float, Any]]:
    return current_app.extensions.setdefault("portal_cache", {})  # type: ignore[no-any-return]


def cached(key: str, compute: Callable[[], T]) -> T:
    """The value under ``key`` if younger than PORTAL_CACHE_SECONDS, else ``compute()``."""
    ttl = int(current_app.config.get("PORTAL_CACHE_SECONDS", 0))
    if ttl <= 0:
        return compute()
    store = _store()
    now = time.monotonic()
    with _LOCK:
        hit = store.get(key)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]  # type: ignore[no-any-return]
    value = compute()
    with _LOCK:
        if len(store) >= _MAX_ENTRIES:
            store.clear()
        store[key] = (now, value)
    return value


def clear() -> None:
    """Forget every cached aggregate (after an import of rectification progress, say)."""
    with _LOCK:
        _store().clear()
