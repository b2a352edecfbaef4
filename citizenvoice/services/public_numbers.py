"""Public case numbers (``2026-000123``): one sequence per Beijing calendar year, race-free.

The number is taken from ``public_number_counter`` with one atomic upsert
(``INSERT ... ON CONFLICT (year) DO UPDATE SET last_value = last_value + 1 RETURNING``): on
PostgreSQL the updated row stays locked until the filing transaction ends, so two concurrent
submissions never read the same value; on SQLite the write lock is taken first (``BEGIN
IMMEDIATE`` when no transaction is open yet) so the second writer waits for the first rather
than failing on a stale snapshot. A rolled-back filing gives its number back with its row; the
unique constraint on ``submission.public_number`` is the last line of defence.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from citizenvoice.domain.localtime import LOCAL_ZONE
from citizenvoice.extensions import db
from citizenvoice.models import PublicNumberCounter

__all__ = ["PUBLIC_NUMBER_PATTERN", "format_public_number", "next_public_number"]

#: What a public case number looks like; anything else matches no case (and is not looked up).
PUBLIC_NUMBER_PATTERN = re.compile(r"[0-9]{4}-[0-9]{6}")


def format_public_number(year: int, value: int) -> str:
    """``2026-000123``: the year, then the sequence zero-padded to six digits."""
    return f"{year}-{value:06d}"


def _take_write_lock() -> None:
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        # pysqlite opens a transaction only before a write: if none is open, take the write
        # lock now (waiting on the busy timeout) so nothing read before it can be stale.
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def next_public_number(moment: datetime) -> str:
    """Take the next public number of ``moment``'s Beijing year; flushes nothing else."""
    year = moment.astimezone(LOCAL_ZONE).year
    _take_write_lock()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, PublicNumberCounter.__table__)
    statement = (
        insert(table)
        .values(year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.year], set_={"last_value": table.c.last_value + 1}
        )
        .returning(table.c.last_value)
    )
    value = db.session.execute(statement).scalar_one()
    return format_public_number(year, int(value))
