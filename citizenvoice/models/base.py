"""Shared column helpers for the models."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utcnow"]


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (stored with time zone)."""
    return datetime.now(UTC)
