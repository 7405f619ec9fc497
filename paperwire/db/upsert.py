"""INSERT ... ON CONFLICT on either backend: PostgreSQL and SQLite spell it alike, but SQLAlchemy builds it
only from the dialect's own ``insert``. The one place the store's writers (outbox, votes, rate limits,
ingest) get their conflict-aware inserts from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

Insert = postgresql.Insert | sqlite.Insert


def insert(bind: Connection | Session, target: Table | type[Any]) -> Insert:
    """An INSERT into ``target`` (a table or a mapped class) that can take ``on_conflict_do_*``."""
    name = bind.dialect.name if isinstance(bind, Connection) else bind.get_bind().dialect.name
    return postgresql.insert(target) if name == "postgresql" else sqlite.insert(target)


def insert_new(bind: Connection | Session, target: Table | type[Any], keys: Sequence[str]) -> Insert:
    """An INSERT that skips rows whose ``keys`` (a unique constraint) are taken already."""
    return insert(bind, target).on_conflict_do_nothing(index_elements=list(keys))


def bulk_insert_sql(conn: Connection, table: Table, columns: Sequence[str], ignore_key: str | None) -> str:
    """The same, as driver SQL for an ``executemany`` (an ingest's hot path, where SQLAlchemy's per-row
    parameter processing costs as much as the database's own work); names come from our own metadata."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    return sql + (f" ON CONFLICT ({ignore_key}) DO NOTHING" if ignore_key else "")
