"""What the store holds, in numbers (``paperwire stats``).

The counts name their tables with SQLAlchemy's lightweight ``table()``/``column()`` instead of the
ORM models: importing those loads the ORM and, for the models' ``postgresql_where`` index, the
PostgreSQL dialect, about 150 ms of ``paperwire stats``'s start-up on a 2-core machine.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Engine, column, func, select, table

# Counted in this order; each count is reported under its table's name.
COUNTED = ("papers", "daily_entries", "authors", "ingest_runs")


def store_stats(engine: Engine) -> dict[str, Any]:
    day = column("day", Date)
    with engine.connect() as conn:
        counts = {
            name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
            for name in COUNTED
        }
        first, last = conn.execute(
            select(func.min(day), func.max(day)).select_from(table("daily_entries", day))
        ).one()
    return {
        **counts,
        "first_day": first.isoformat() if first else None,
        "last_day": last.isoformat() if last else None,
        "database": engine.url.render_as_string(hide_password=True),
    }
