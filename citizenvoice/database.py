"""Bounded waits on PostgreSQL: a server that stops answering costs seconds, not a hung request.

libpq's ``connect_timeout`` bounds a new connection and the server's ``statement_timeout`` a
slow statement (both set in config/), but neither helps when the server, or the network in
between, goes silent on a connection already in the pool: psycopg would wait for the answer to
the pool's pre-ping forever. So every connection is a ``BoundedConnection`` whose waits end
after ``read_timeout`` seconds, and that bound is short (half ``DB_CONNECT_TIMEOUT``) while the
connection sits in the pool, where the next thing it runs is SQLAlchemy's pre-ping, and long
(statement timeout plus connect timeout) while a request or job holds it. A connection that
timed out is closed, so SQLAlchemy treats the error as a disconnect, drops the connection and
connects afresh; once PostgreSQL is back the pool recovers by itself.
"""

from __future__ import annotations

from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from citizenvoice.extensions import db

__all__ = ["BoundedConnection", "init_app"]


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that gives up waiting on the server after ``read_timeout`` s."""

    read_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        """Run ``gen`` like psycopg does, but close the connection when the server is silent."""
        bound = timeout if timeout is not None else self.read_timeout
        try:
            return super().wait(gen, interval, bound)
        except psycopg.errors._WaitTimeout:
            # Half a protocol exchange cannot be resumed: the connection is unusable.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"PostgreSQL did not answer within {bound:g} s; connection closed"
            ) from None


def init_app(app: Flask) -> None:
    """Make the app's PostgreSQL engines use bounded connections (SQLite needs none)."""
    connect_bound = float(app.config["DB_CONNECT_TIMEOUT"])
    # Half the connect timeout for the pre-ping: a silent server then costs a ping and a
    # connect attempt, 3 s with the defaults, inside the 5 s a request may take to get its 503.
    idle_bound = connect_bound / 2
    busy_bound = float(app.config["DB_STATEMENT_TIMEOUT"]) + connect_bound
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
            _bound_engine(engine, idle_bound, busy_bound)


def _bound_engine(engine: Engine, idle_bound: float, busy_bound: float) -> None:
    """Attach the connect, checkout and checkin hooks that set each connection's bound."""

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> BoundedConnection:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.read_timeout = busy_bound
        return connection

    @event.listens_for(engine, "checkout")
    def _in_use(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if isinstance(dbapi_connection, BoundedConnection):
            dbapi_connection.read_timeout = busy_bound

    @event.listens_for(engine, "checkin")
    def _idle(dbapi_connection: Any, record: Any) -> None:
        # The next statement on a pooled connection is the pre-ping at its next checkout.
        if isinstance(dbapi_connection, BoundedConnection):
            dbapi_connection.read_timeout = idle_bound
