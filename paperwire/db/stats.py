"""What the store holds, in numbers (``paperwire stats``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from paperwire.db.models import Author, DailyEntry, IngestRun, Paper


def store_stats(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:

        def count(model: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(model)).scalar_one())

        first, last = conn.execute(select(func.min(DailyEntry.day), func.max(DailyEntry.day))).one()
        return {
            "papers": count(Paper),
            "daily_entries": count(DailyEntry),
            "authors": count(Author),
            "ingest_runs": count(IngestRun),
            "first_day": first.isoformat() if first else None,
            "last_day": last.isoformat() if last else None,
            "database": engine.url.render_as_string(hide_password=True),
        }
