"""ISO-week and month views: the papers listed in a span of days, best first, each paper once."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperwire.daily.daily import ListedPaper
from paperwire.db.models import DailyEntry, Paper

WEEK = re.compile(r"(\d{4})-W(\d{2})")
MONTH = re.compile(r"(\d{4})-(\d{2})")


YEARS = range(1, 10_000)  # what ``datetime.date`` can hold; neighbours past either end are None


class BadPeriod(ValueError):
    pass


def _check_year(year: int, text: str) -> None:
    if year not in YEARS:
        raise BadPeriod(f"{text} is out of range: years {YEARS.start} to {YEARS.stop - 1}")


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_week(text: str) -> Period:
    """``2026-W23`` (ISO 8601 week, Monday to Sunday)."""
    match = WEEK.fullmatch(text)
    if not match:
        raise BadPeriod(f"week must look like 2026-W23, got {text[:40]!r}")
    _check_year(int(match.group(1)), text)
    try:
        start = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise BadPeriod(f"no such ISO week: {text}") from exc
    end = start + dt.timedelta(days=6) if start <= dt.date.max - dt.timedelta(days=6) else dt.date.max
    return Period(text, start, end)


def parse_month(text: str) -> Period:
    """``2026-06``."""
    match = MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise BadPeriod(f"month must look like 2026-06, got {text[:40]!r}")
    _check_year(int(match.group(1)), text)
    start = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if start.month == 12:
        return Period(text, start, dt.date(start.year, 12, 31))
    return Period(text, start, dt.date(start.year, start.month + 1, 1) - dt.timedelta(days=1))


def week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def shift_week(period: Period, weeks: int) -> str | None:
    """The label ``weeks`` away, or None past the calendar's ends (year 1 and 9999)."""
    try:
        return week_label(period.start + dt.timedelta(weeks=weeks))
    except OverflowError:
        return None


def shift_month(period: Period, months: int) -> str | None:
    index = period.start.year * 12 + period.start.month - 1 + months
    if not 12 <= index < 10_000 * 12:
        return None
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_list(
    session: Session, period: Period, limit: int | None = None, offset: int = 0
) -> list[ListedPaper]:
    """Papers listed in the period, most upvoted first; a paper listed twice appears once (its best entry)."""
    best = (
        select(DailyEntry.paper_id, func.max(DailyEntry.upvotes).label("upvotes"))
        .where(DailyEntry.day >= period.start, DailyEntry.day <= period.end, DailyEntry.hidden.is_(False))
        .group_by(DailyEntry.paper_id)
        .subquery()
    )
    stmt = (
        select(Paper, DailyEntry)
        .join(best, best.c.paper_id == Paper.id)
        .join(
            DailyEntry,
            (DailyEntry.paper_id == Paper.id)
            & (DailyEntry.upvotes == best.c.upvotes)
            & (DailyEntry.day >= period.start)
            & (DailyEntry.day <= period.end)
            & DailyEntry.hidden.is_(False),
        )
        .order_by(DailyEntry.upvotes.desc(), Paper.arxiv_id, DailyEntry.day.desc())
    )
    seen: set[int] = set()
    listed: list[ListedPaper] = []
    for paper, entry in session.execute(stmt):
        if paper.id in seen:
            continue
        seen.add(paper.id)
        listed.append(ListedPaper(paper, entry))
    end = None if limit is None else offset + limit
    return listed[offset:end]
