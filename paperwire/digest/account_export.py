"""A user's library export (``library.export``) with their digest settings added, and its import.

The digest settings live here, above the library, so that the library knows nothing of digests. They are
the rows of the per-user settings tables (today the subscription), without ids, tokens and nonces, which
are secrets of one store.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.db.base import Base
from paperwire.digest.models import Subscription
from paperwire.library.export import ImportReport, export_library, import_library

SETTINGS_TABLES = (Base.metadata.tables[Subscription.__tablename__],)


def export_account(session: Session, user_id: int) -> dict[str, Any]:
    """The library export, with a ``digest`` section: each settings table's rows for the user."""
    data = export_library(session, user_id)
    digest: dict[str, list[dict[str, Any]]] = {}
    for table in SETTINGS_TABLES:
        rows = session.execute(select(table).where(table.c.user_id == user_id)).mappings().all()
        digest[table.name] = [
            {k: _plain(v) for k, v in row.items() if k not in ("id", "user_id") and not _secret(k)}
            for row in rows
        ]
    data["digest"] = digest
    return data


def import_account(session: Session, user_id: int, data: Any) -> ImportReport:
    """The library import; then digest settings replace the user's current ones, table by table (a
    failure leaves that table's untouched: the rest is still worth importing)."""
    report = import_library(session, user_id, data)
    tables = {t.name: t for t in SETTINGS_TABLES}
    email = session.execute(select(User.email).where(User.id == user_id)).scalar_one()
    for name, rows in (data.get("digest") or {}).items():
        table = tables.get(name)
        if table is None:
            report.notes.append(f"digest settings in {name!r} skipped: this store has no such table")
            continue
        try:
            with session.begin_nested():
                session.execute(delete(table).where(table.c.user_id == user_id))
                for row in rows:
                    values = _from_plain(table, row)
                    if "email" in table.c:  # the settings are the importing user's, for their mailbox
                        values["email"] = email
                    session.execute(insert(table).values(user_id=user_id, **values))
            report.count("digest_settings", len(rows))
        except Exception as exc:  # the rest of the library is still worth importing
            report.notes.append(f"digest settings in {name!r} skipped: {type(exc).__name__}: {exc}")
    session.flush()
    return report


def _secret(column: str) -> bool:
    """Nonces and tokens are secrets of one store: never exported."""
    return column.endswith(("nonce", "token"))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _from_plain(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if key not in table.c or key in ("id", "user_id") or _secret(key):
            continue
        try:
            kind = table.c[key].type.python_type
        except NotImplementedError:
            kind = object
        if isinstance(value, str) and kind is dt.datetime:
            value = dt.datetime.fromisoformat(value)
        elif isinstance(value, str) and kind is dt.date:
            value = dt.date.fromisoformat(value)
        out[key] = value
    return out
