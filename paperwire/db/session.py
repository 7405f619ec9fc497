"""Engines and sessions for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DisconnectionError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(cache_mib: int) -> Callable[[Any, Any], None]:
    """WAL lets the web app read while an ingest writes; busy_timeout makes writers queue, not fail.

    ``cache_mib`` is each connection's page cache: 64 MiB keeps an ingest batch's pages in memory until
    commit; the web app's many pooled connections take less (each fills its cache as it reads).
    """

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute(f"PRAGMA cache_size={-1024 * int(cache_mib)}")
        cur.close()

    return on_connect


class ReadOnlyStore(Exception):
    """A write reached a store that is read-only right now (file permissions, a read-only replica or disk)."""


# SQLite: SQLITE_READONLY and its extended codes; PostgreSQL: SQLSTATE 25006 (read_only_sql_transaction).
READ_ONLY_MARKERS = ("readonly database", "read-only database", "read-only transaction")


def _read_only_write(context: ExceptionContext) -> BaseException | None:
    """A write refused because the store is read-only: the connection is dropped (the next one may find
    the store writable again) and the caller gets ``ReadOnlyStore`` with a message for people."""
    error = context.original_exception
    code = getattr(error, "sqlstate", None)
    if code != "25006" and not any(marker in str(error).lower() for marker in READ_ONLY_MARKERS):
        return None
    context.is_disconnect = True
    return ReadOnlyStore(
        "the database is read-only at the moment, so nothing can be saved; try again later"
        " (operators: make the database writable; no restart is needed)"
    )


def _reopen_when_writable(engine: Engine, path: str) -> None:
    """SQLite opens a file it may not write read-only, and such a connection stays read-only after the
    file becomes writable: a pooled one is replaced at checkout once it is (a stat, only for those)."""

    @event.listens_for(engine, "connect")
    def opened(_dbapi_connection: Any, record: Any) -> None:
        record.info["read_only"] = Path(path).exists() and not os.access(path, os.W_OK)

    @event.listens_for(engine, "checkout")
    def checked_out(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("read_only") and os.access(path, os.W_OK):
            raise DisconnectionError("the database file has become writable: reconnecting")


def make_engine(url: str, *, sqlite_cache_mib: int = 64, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_cache_mib))
        event.listen(engine, "handle_error", _read_only_write)
        if parsed.database and parsed.database != ":memory:":
            _reopen_when_writable(engine, parsed.database)
        return engine
    if parsed.drivername == "postgresql":
        # psycopg 3 is the driver we install; a bare postgresql:// URL should just work.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "handle_error", _read_only_write)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    # imported here: the ORM adds about a quarter to SQLAlchemy's import time, and Core-only callers
    # (`paperwire stats`) do without it
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    with factory() as session, session.begin():
        yield session
