"""Set-based SQL for batches: id lists and row sets as array parameters on PostgreSQL.

psycopg parses a statement's placeholders in Python and caches the result only for statements
of at most 50 parameters and 4 kB, and PostgreSQL prepares only statements it sees again. An
``IN (...)`` of 200 ids or a ``VALUES`` list of 200 rows is neither, so every batch paid for
parsing and planning it again. On PostgreSQL these helpers pass integer columns as one array
literal each (``= ANY(:ids)``, ``unnest(:a, :b, ...)``) and wide rows as one JSON document
(``json_to_recordset(:rows)``): a short statement whatever the batch size, and one string for
psycopg to send instead of thousands of values to adapt one by one. SQLite (the embedded
default) has no arrays and no network; it gets the plain forms.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    column,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY, JSON
from sqlalchemy.types import TypeEngine

from citizenvoice.extensions import db

__all__ = [
    "in_ids",
    "insert_rows",
    "is_postgresql",
    "json_rows",
    "json_select",
    "unnest",
    "update_by_id",
    "upsert_rows",
]


def is_postgresql() -> bool:
    """Whether the app's database is PostgreSQL (else the embedded SQLite)."""
    return bool(db.engine.dialect.name == "postgresql")


def _integer_array(values: Sequence[int], item_type: TypeEngine[Any]) -> ColumnElement[Any]:
    """``CAST(string_to_array(:list, ',') AS item[])`` from a list written here (``1,2,3``).

    psycopg's text dumper of a Python list checks every element against a regular expression
    for quoting; a batch's bands are thousands of integers, so the list is built with one
    ``join`` instead. Only integers, so nothing needs quoting.

    Not ``CAST(:literal AS item[])``: that cast goes through ``array_in``, which is only STABLE,
    so PostgreSQL neither folds it nor hoists it out of a sequential scan's filter. Until a
    connection's statement has a generic plan, ``id = ANY(...)`` then parsed the whole literal
    once per row scanned: 2.3 s for a DELETE over 108,000 duplicate bands with 500 ids, against
    8 ms with ``string_to_array``, whose element casts are immutable (measured 2026-12-02).
    """
    literal = ",".join(map(str, map(int, values)))
    return cast(func.string_to_array(bindparam(None, literal, type_=Text()), ","), ARRAY(item_type))


def in_ids(column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """``column`` is one of ``ids``: ``= ANY(:array)`` on PostgreSQL, ``IN (...)`` elsewhere."""
    condition: ColumnElement[bool]
    if is_postgresql():
        condition = column == any_(_integer_array(ids, Integer()))
    else:
        condition = column.in_(list(ids))
    return condition


def unnest(**columns: tuple[Sequence[int], TypeEngine[Any]]) -> Any:
    """PostgreSQL: ``unnest(CAST(:a AS t[]), ...) AS anon(a, ...)``, a row set from arrays.

    Each keyword is an integer column: (values, SQL item type). Wider rows (text, JSON,
    timestamps) go as one JSON document instead (``json_rows``).
    """
    arrays = [_integer_array(values, item_type) for values, item_type in columns.values()]
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def _json_value(value: Any) -> Any:
    """JSON for the values json_to_recordset casts from text: timestamps, bytea as hex."""
    if isinstance(value, datetime):
        # The JSON path skips UTCDateTime's check: the same rule here (PostgreSQL would read a
        # naive value in the session's zone).
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime in a bulk row: make it aware first")
        return value.isoformat()
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    raise TypeError(f"cannot send {type(value).__name__} as a JSON row value")


def json_rows(table: Table, names: Sequence[str], rows: Sequence[dict[str, Any]]) -> Any:
    """PostgreSQL: ``json_to_recordset(:rows) AS anon(a type, ...)``, a row set from one document.

    For wide rows with JSON and text columns: psycopg quotes every element of a text array with
    a regular expression in Python (every quote of a JSON value escaped once more), while the
    whole batch as one JSON document is a single ``json.dumps``. Columns take their types from
    ``table``; JSON columns keep their nested values.
    """
    document = json.dumps(
        [{name: row.get(name) for name in names} for row in rows],
        ensure_ascii=False,
        default=_json_value,
    )
    recordset = func.json_to_recordset(cast(bindparam(None, document, type_=Text()), JSON()))
    return recordset.table_valued(
        *[column(name, table.c[name].type) for name in names]
    ).render_derived(with_types=True)


def json_select(table: Table, names: Sequence[str], rows: Sequence[dict[str, Any]]) -> Any:
    """PostgreSQL: ``SELECT a, b, ... FROM json_to_recordset(:rows)``, for INSERT ... SELECT."""
    source = json_rows(table, names, rows)
    return select(*[source.c[name] for name in names])


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys): one INSERT ... SELECT on PostgreSQL."""
    if is_postgresql():
        names = list(rows[0])
        db.session.execute(insert(table).from_select(names, json_select(table, names, rows)))
        return
    db.session.execute(insert(table), rows)


def upsert_rows(
    table: FromClause,
    rows: Sequence[dict[str, Any]],
    key: str,
    columns: Sequence[str],
    batch: int = 500,
) -> None:
    """Insert ``rows``, or set ``columns`` on the row whose ``key`` is taken: ON CONFLICT.

    Both databases; ``batch`` rows per statement. One batch must not name a key twice (ON
    CONFLICT cannot touch a row twice).
    """
    dialect = sqlite if db.session.get_bind().dialect.name == "sqlite" else postgresql
    for start in range(0, len(rows), batch):
        statement: Any = dialect.insert(table).values(list(rows[start : start + batch]))
        changed = {name: statement.excluded[name] for name in columns}
        db.session.execute(statement.on_conflict_do_update(index_elements=[key], set_=changed))


def update_by_id(table: Table, columns: Sequence[str], params: list[dict[str, Any]]) -> None:
    """Set ``columns`` on the rows whose ``id`` is each param's ``case_id``: one statement.

    PostgreSQL: UPDATE ... FROM json_to_recordset (one statement, planned once, whatever the
    batch size); SQLite: an executemany.
    """
    if is_postgresql():
        rows = json_rows(table, ["id", *columns], [{"id": p["case_id"], **p} for p in params])
        db.session.execute(
            update(table)
            .where(table.c.id == rows.c.id)
            .values({column: rows.c[column] for column in columns})
        )
        return
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("case_id"))
        .values({column: bindparam(column) for column in columns}),
        params,
    )
