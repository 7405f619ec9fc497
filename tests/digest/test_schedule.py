"""The built-in schedule: which periods are due when, and a tick that plans once then retries."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.digest import subscriptions
from paperwire.digest.schedule import due_periods, run_schedule, tick
from tests.digest.conftest import Sink


def test_daily_on_weekdays_weekly_on_the_chosen_day(settings: Settings) -> None:
    monday_early = dt.datetime(2026, 6, 15, 6, 59)
    assert due_periods(monday_early, settings) == []
    keys = [p.key for p in due_periods(dt.datetime(2026, 6, 15, 7, 0), settings)]
    assert keys == ["daily:2026-06-15", "weekly:2026-W25"]
    assert [p.key for p in due_periods(dt.datetime(2026, 6, 16, 9), settings)] == ["daily:2026-06-16"]
    assert due_periods(dt.datetime(2026, 6, 20, 9), settings) == []  # Saturday
    monday = due_periods(dt.datetime(2026, 6, 15, 8), settings)[0]
    assert (monday.start, monday.end) == (dt.date(2026, 6, 12), dt.date(2026, 6, 15))  # covers the weekend


def test_tick_sends_once_and_the_loop_stops(
    sqlite_sample_engine: Engine, settings: Settings, smtp: Sink
) -> None:
    with Session(sqlite_sample_engine) as session, session.begin():
        subscriptions.import_confirmed(session, "sched@example.org,daily,\n")
    planned: dict[str, dt.datetime] = {}
    clock = lambda: dt.datetime(2026, 6, 16, 7, 5)  # noqa: E731
    assert tick(sqlite_sample_engine, settings, planned, clock) == ["daily:2026-06-16"]
    assert tick(sqlite_sample_engine, settings, planned, clock) == ["daily:2026-06-16"]
    assert len(smtp.to("sched@example.org")) == 1
    # Someone confirms later that morning: the hourly re-plan sends them that day's digest, once.
    with Session(sqlite_sample_engine) as session, session.begin():
        subscriptions.import_confirmed(session, "late@example.org,daily,\n")
    later = lambda: dt.datetime(2026, 6, 16, 8, 10)  # noqa: E731
    tick(sqlite_sample_engine, settings, planned, later)
    tick(sqlite_sample_engine, settings, planned, later)
    assert len(smtp.to("late@example.org")) == 1
    assert len(smtp.to("sched@example.org")) == 1

    async def run_briefly() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_schedule(sqlite_sample_engine, settings, stop, interval=0.05, clock=clock)
        )
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(run_briefly())
    assert len(smtp.to("sched@example.org")) == 1
