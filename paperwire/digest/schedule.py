"""When digests go out, and a loop that sends them: for `paperwire serve` or `paperwire digest schedule`.

Daily digests are sent on weekdays, weekly ones on ``settings.digest_weekly_weekday``, from
``settings.digest_send_hour`` (UTC). Each due period is planned when it becomes due and again every
hour (subscribers who confirmed meanwhile get that day's digest), and its outbox is delivered on every
tick, which is what retries temporary failures. Of all the processes running the schedule on one store
(``serve --workers 4``, several nodes), one at a time does the work: the holder of the store's
``digest-schedule`` job lock; the others check each tick and take over when it dies. The outbox would
send each digest once anyway; the lock keeps the planning from being repeated on every node.

The web app starts it as a background task when ``settings.digest_schedule`` is true::

    task = asyncio.create_task(run_schedule(engine, settings, stop_event))

Without it, use cron (see ``paperwire/cli/digest.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from sqlalchemy import Engine

from paperwire.clock import utcnow
from paperwire.config import Settings
from paperwire.db.cluster import JobLock
from paperwire.digest.compose import Period
from paperwire.digest.sender import Clock, deliver, send_digests

log = logging.getLogger(__name__)
TICK_SECONDS = 60.0
REPLAN_EVERY = dt.timedelta(hours=1)
SCHEDULE_LOCK = "digest-schedule"


def due_periods(now: dt.datetime, settings: Settings) -> list[Period]:
    """The periods whose digests should be going out at ``now`` (UTC)."""
    if now.hour < settings.digest_send_hour:
        return []
    periods = []
    if now.weekday() < 5:
        periods.append(Period.of("daily", now.date()))
    if now.isoweekday() == settings.digest_weekly_weekday:
        periods.append(Period.of("weekly", now.date()))
    return periods


def tick(
    engine: Engine, settings: Settings, planned: dict[str, dt.datetime], clock: Clock = utcnow
) -> list[str]:
    """One pass: plan and send newly due periods (again each hour, for new confirmations), and
    deliver retries of those already planned."""
    done = []
    now = clock()
    for period in due_periods(now, settings):
        last = planned.get(period.key)
        if last is not None and now - last < REPLAN_EVERY:
            deliver(engine, settings, period.key, clock)
        else:
            summary = send_digests(engine, settings, period.cadence, period.day, clock=clock)
            log.info("digest %s: %s", period.key, summary.as_dict())
            planned[period.key] = now
        done.append(period.key)
    return done


async def run_schedule(
    engine: Engine,
    settings: Settings,
    stop: asyncio.Event | None = None,
    interval: float = TICK_SECONDS,
    clock: Clock = utcnow,
) -> None:
    """Run ``tick`` every ``interval`` seconds in a worker thread, while this process holds the schedule's
    job lock, until ``stop`` is set; never raises."""
    stop = stop or asyncio.Event()
    planned: dict[str, dt.datetime] = {}
    lock = JobLock(engine, SCHEDULE_LOCK, lease=dt.timedelta(seconds=max(3 * interval, 60)))
    try:
        while not stop.is_set():
            try:
                if await asyncio.to_thread(lock.acquire):
                    await asyncio.to_thread(tick, engine, settings, planned, clock)
                else:
                    planned.clear()  # another process runs it; if it dies, this one starts afresh
            except Exception:
                log.exception("digest schedule tick failed; trying again in %s s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        await asyncio.to_thread(lock.release)
