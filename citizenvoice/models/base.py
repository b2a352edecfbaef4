"""Shared column helpers for the models."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["as_utc", "utcnow"]


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (stored with time zone)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware datetime: SQLite hands back naive ones, and everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
