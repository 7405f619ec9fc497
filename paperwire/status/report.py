"""How complete and how fresh the store is: one report for /status, `paperwire status` and /metrics.

Every number comes from a handful of indexed aggregate queries (per-source maxima on
``(source, published)`` and ``(source, day)``, day counts over the published-day index, a partial index
for papers without an abstract), so the report stays cheap at millions of papers.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, case, func, literal_column, select

from paperwire.clock import utcnow
from paperwire.config import Settings
from paperwire.db.models import DailyEntry, IngestRun, Paper
from paperwire.digest.models import OutboxEmail, Subscription
from paperwire.ingest.runner import owner_state
from paperwire.ingest.sources import SOURCES
from paperwire.papers.record import RecordError
from paperwire.search import index_lag
from paperwire.status.calendar import expected_empty

PAPERS: Table = Paper.__table__  # type: ignore[assignment]
ENTRIES: Table = DailyEntry.__table__  # type: ignore[assignment]
RUNS: Table = IngestRun.__table__  # type: ignore[assignment]
OUTBOX: Table = OutboxEmail.__table__  # type: ignore[assignment]
SUBSCRIPTIONS: Table = Subscription.__table__  # type: ignore[assignment]

WINDOW_DAYS = 90
ERRORS_SHOWN = 5
# A weekday whose paper count is below this share of the usual count for that weekday is a gap.
LOW_SHARE = 0.5


@dataclass(frozen=True)
class LastRun:
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    counts: dict[str, int]
    papers: int  # distinct papers the run described
    list_entries: int  # community-list entries it added or changed
    errors: list[str]


@dataclass(frozen=True)
class SourceStatus:
    source: str
    last_run: LastRun | None
    newest_paper: dt.date | None
    newest_list_day: dt.date | None
    # Days from the newest paper or list day held to today: how far behind the data is.
    lag_days: int | None
    # Hours since the last run that finished well; None when none ever did.
    hours_since_success: float | None
    stale: bool


@dataclass(frozen=True)
class Day:
    day: dt.date
    papers: int
    entries: int
    upvotes: int
    expected_empty: str | None


@dataclass(frozen=True)
class Gap:
    day: dt.date
    kind: str  # "no-list" | "low" | "no-listing"
    detail: str


@dataclass(frozen=True)
class Outbox:
    queued: int = 0
    retrying: int = 0
    sending: int = 0
    failed: int = 0
    sent: int = 0
    paused_addresses: int = 0


@dataclass
class StatusReport:
    generated_at: dt.datetime
    sources: list[SourceStatus]
    window: tuple[dt.date, dt.date] | None
    days: list[Day]
    gaps: list[Gap]
    missing_abstracts: int
    index: dict[str, int | None]
    outbox: Outbox
    stale_after_hours: float

    @property
    def stale_sources(self) -> list[str]:
        return [s.source for s in self.sources if s.stale]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["stale_sources"] = self.stale_sources
        return _jsonable(data)  # type: ignore[no-any-return]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _as_date(value: Any) -> dt.date | None:
    """SQLite hands back aggregates of date columns as text."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _error_line(error: Any) -> str:
    """The stored error as the one line the ingest command printed for it."""
    if isinstance(error, dict) and "where" in error and "reason" in error:
        return str(RecordError(error["where"], error["reason"], error.get("field"), error.get("id")))
    return str(error)


def _last_runs(conn: Connection) -> dict[str, LastRun]:
    newest = select(RUNS.c.source, func.max(RUNS.c.id).label("id")).group_by(RUNS.c.source).subquery()
    rows = conn.execute(select(RUNS).join(newest, RUNS.c.id == newest.c.id))
    return {
        row.source: LastRun(
            id=row.id,
            started_at=row.started_at,
            finished_at=row.finished_at,
            status=row.status
            if row.status != "running" or owner_state((row.counts or {}).get("owner")) != "gone"
            else "running (process gone)",
            # Numbers only: the row also names the process that owns it (``owner``, host:pid).
            counts={k: v for k, v in (row.counts or {}).items() if isinstance(v, int)},
            papers=int((row.counts or {}).get("papers", 0)),
            list_entries=int(
                (row.counts or {}).get("daily_new", 0) + (row.counts or {}).get("daily_updated", 0)
            ),
            errors=[_error_line(e) for e in (row.errors or [])[:ERRORS_SHOWN]],
        )
        for row in rows
    }


def _last_success(conn: Connection) -> dict[str, dt.datetime]:
    rows = conn.execute(
        select(RUNS.c.source, func.max(RUNS.c.finished_at))
        .where(RUNS.c.status.in_(("done", "completed")))
        .group_by(RUNS.c.source)
    )
    return {source: finished for source, finished in rows if finished is not None}


def _newest(conn: Connection, table: Table, column: str, source: str) -> dt.date | None:
    value = conn.execute(select(func.max(table.c[column])).where(table.c.source == source)).scalar()
    return _as_date(value)


def _counts_by_day(
    conn: Connection, table: Table, column: str, start: dt.date, end: dt.date, *extra: Any
) -> dict[dt.date, tuple[int, ...]]:
    col = table.c[column]
    rows = conn.execute(select(col, func.count(), *extra).where(col >= start, col <= end).group_by(col))
    return {_as_date(day): tuple(int(v or 0) for v in rest) for day, *rest in rows}  # type: ignore[misc]


def _window(conn: Connection, today: dt.date, until: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """The 90 days up to ``until``, else up to today or the newest day held, whichever is earlier."""
    if until is not None:
        return until - dt.timedelta(days=WINDOW_DAYS - 1), until
    newest = [
        _as_date(conn.execute(select(func.max(PAPERS.c.published))).scalar()),
        _as_date(conn.execute(select(func.max(ENTRIES.c.day))).scalar()),
    ]
    held = [d for d in newest if d is not None]
    if not held:
        return None
    end = min(today, max(held))
    return end - dt.timedelta(days=WINDOW_DAYS - 1), end


def _days(conn: Connection, start: dt.date, end: dt.date) -> list[Day]:
    papers = _counts_by_day(conn, PAPERS, "published", start, end)
    entries = _counts_by_day(conn, ENTRIES, "day", start, end, func.sum(ENTRIES.c.upvotes))
    out = []
    day = start
    while day <= end:
        listed = entries.get(day, (0, 0))
        out.append(Day(day, papers.get(day, (0,))[0], listed[0], listed[1], expected_empty(day)))
        day += dt.timedelta(days=1)
    return out


@dataclass(frozen=True)
class Month:
    month: dt.date  # its first day
    papers: int
    entries: int
    upvotes: int


def store_history(engine: Engine) -> list[Month]:
    """The whole store by month, from its first paper or list day to its last (for /about)."""
    with engine.connect() as conn:
        papers = conn.execute(
            select(PAPERS.c.published, func.count())
            .where(PAPERS.c.published.is_not(None))
            .group_by(PAPERS.c.published)
        ).all()
        entries = conn.execute(
            select(ENTRIES.c.day, func.count(), func.sum(ENTRIES.c.upvotes)).group_by(ENTRIES.c.day)
        ).all()
    months: dict[dt.date, list[int]] = {}
    for day, count in papers:
        months.setdefault(_as_date(day).replace(day=1), [0, 0, 0])[0] += int(count)  # type: ignore[union-attr]
    for day, count, upvotes in entries:
        bucket = months.setdefault(_as_date(day).replace(day=1), [0, 0, 0])  # type: ignore[union-attr]
        bucket[1] += int(count)
        bucket[2] += int(upvotes or 0)
    if not months:
        return []
    out = []
    month, last = min(months), max(months)
    while month <= last:
        out.append(Month(month, *months.get(month, (0, 0, 0))))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def find_gaps(days: list[Day]) -> list[Gap]:
    """Weekdays with a listing but no community list, and days far below their weekday's usual count.

    Each kind is only looked for between the first and last day that has any of it in the window, so
    a store that holds arXiv listings alone reports no missing lists, and the days before a store's
    first paper are not called thin.
    """
    listed = [d.day for d in days if d.entries]
    published = [d.day for d in days if d.papers]
    usual: dict[int, float] = {}
    for weekday in range(7):
        counts = [d.papers for d in days if d.day.weekday() == weekday and d.papers]
        if len(counts) >= 3:
            usual[weekday] = statistics.median(counts)
    gaps = []
    for d in days:
        if d.expected_empty:
            continue
        if listed and listed[0] <= d.day <= listed[-1] and d.papers and not d.entries:
            gaps.append(Gap(d.day, "no-list", f"{_papers(d.papers)} listed by arXiv, no community list"))
        typical = usual.get(d.day.weekday())
        if typical and published[0] <= d.day <= published[-1] and d.papers < LOW_SHARE * typical:
            gaps.append(Gap(d.day, "low", f"{_papers(d.papers)}; a usual {d.day:%A} has {typical:.0f}"))
    return gaps


def _papers(count: int) -> str:
    return {0: "no papers", 1: "1 paper"}.get(count, f"{count} papers")


def _outbox(conn: Connection) -> Outbox:
    retrying = case((OUTBOX.c.attempts > 0, 1), else_=0)
    counts: dict[str, int] = {}
    for state, total, retried in conn.execute(
        select(OUTBOX.c.state, func.count(), func.sum(retrying)).group_by(OUTBOX.c.state)
    ):
        counts[state] = int(total)
        if state == "queued":
            counts["retrying"] = int(retried or 0)
    paused = conn.execute(
        select(func.count()).select_from(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.status == "paused")
    ).scalar_one()
    return Outbox(
        queued=counts.get("queued", 0) - counts.get("retrying", 0),
        retrying=counts.get("retrying", 0),
        sending=counts.get("sending", 0),
        failed=counts.get("failed", 0),
        sent=counts.get("sent", 0),
        paused_addresses=int(paused),
    )


def status_report(
    engine: Engine,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    until: dt.date | None = None,
    sources: Iterable[str] = SOURCES,
) -> StatusReport:
    now = now or utcnow()
    stale_after = settings.status_stale_hours
    with engine.connect() as conn:
        runs = _last_runs(conn)
        succeeded = _last_success(conn)
        names = [*sources, *sorted(set(runs) - set(sources))]
        per_source = []
        for name in names:
            done = succeeded.get(name)
            hours = (now - done).total_seconds() / 3600 if done else None
            newest_paper = _newest(conn, PAPERS, "published", name)
            newest_list_day = _newest(conn, ENTRIES, "day", name)
            held = [d for d in (newest_paper, newest_list_day) if d is not None]
            per_source.append(
                SourceStatus(
                    source=name,
                    last_run=runs.get(name),
                    newest_paper=newest_paper,
                    newest_list_day=newest_list_day,
                    lag_days=(now.date() - max(held)).days if held else None,
                    hours_since_success=None if hours is None else round(hours, 2),
                    stale=name in runs and (hours is None or hours > stale_after),
                )
            )
        window = _window(conn, now.date(), until)
        days = _days(conn, *window) if window else []
        # A literal, not a bound parameter, so that the partial index's WHERE visibly matches.
        missing = conn.execute(
            select(func.count()).select_from(PAPERS).where(PAPERS.c.abstract == literal_column("''"))
        ).scalar_one()
        outbox = _outbox(conn)
    return StatusReport(
        generated_at=now,
        sources=per_source,
        window=window,
        days=days,
        gaps=find_gaps(days),
        missing_abstracts=int(missing),
        index=index_lag(settings, engine).as_dict(),
        outbox=outbox,
        stale_after_hours=stale_after,
    )
