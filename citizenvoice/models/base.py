"""Shared column helpers for the models: the one time rule of the product.

Every moment is stored as aware UTC on every database and read back as aware UTC: PostgreSQL
keeps ``timestamptz``; SQLite has no zone type, so the value goes in as naive UTC and comes back
with UTC attached. A naive datetime reaching the database is refused: it is always a bug (whose
clock? which zone?), and letting it through is how SQLite once mixed naive and aware values.
Display in Asia/Shanghai is citizenvoice.timefmt's job.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime", "as_utc", "utcnow"]


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (stored with time zone)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive value is taken as UTC.

    Only for values from outside the ORM (a raw SQLite row, an old JSON field): UTCDateTime
    columns hand back aware UTC already.
    """
    if moment.tzinfo is UTC:  # the common case (psycopg in a UTC session): no new object
        return moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that accepts only aware datetimes and returns aware UTC.

    Same DDL as ``DateTime(timezone=True)`` (timestamptz on PostgreSQL, a text column on
    SQLite), so no migration comes with it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; send UTC (naive UTC to SQLite, which drops zones anyway)."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime takes a datetime, not {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to a UTC column: make it aware first")
        moment = value.astimezone(UTC)
        # SQLite stores text and compares it as text: one form only, naive UTC, so that
        # ordering and range filters stay right whatever zone the value came in.
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Aware UTC whatever the database handed back."""
        if value is None:
            return None
        if isinstance(value, str):  # a SQLite value that came through as text
            value = datetime.fromisoformat(value)
        return as_utc(value)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        """The type of the other operand in an expression with this column.

        Datetimes go through UTCDateTime; anything else (a timedelta in ``column - delta``)
        keeps the type DateTime gives it, so interval arithmetic still works on PostgreSQL.
        """
        if isinstance(value, datetime):
            return self
        return self.impl_instance.coerce_compared_value(op, value)

    @property
    def python_type(self) -> type[datetime]:
        """The Python type of the values (datetime)."""
        return datetime
