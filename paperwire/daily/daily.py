"""Which papers were listed on a day, best first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from paperwire.db.models import DailyEntry, Paper


@dataclass(frozen=True)
class ListedPaper:
    paper: Paper
    entry: DailyEntry


def latest_day(session: Session) -> dt.date | None:
    return session.execute(select(func.max(DailyEntry.day)).where(DailyEntry.hidden.is_(False))).scalar()


def best_upvotes(session: Session, ids: Iterable[int] | Select[Any]) -> dict[int, int]:
    """Each paper's highest upvote count on any visible list (papers never listed are left out); ``ids``
    may be a statement selecting them."""
    wanted = ids if isinstance(ids, Select) else list(ids)
    rows = session.execute(
        select(DailyEntry.paper_id, func.max(DailyEntry.upvotes))
        .where(DailyEntry.paper_id.in_(wanted), DailyEntry.hidden.is_(False))
        .group_by(DailyEntry.paper_id)
    ).all()
    return {int(pid): int(upvotes) for pid, upvotes in rows}


def daily_list(session: Session, day: dt.date, limit: int | None = None) -> list[ListedPaper]:
    stmt = (
        select(Paper, DailyEntry)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(DailyEntry.day == day, DailyEntry.hidden.is_(False))
        .order_by(DailyEntry.upvotes.desc(), Paper.arxiv_id)
        .limit(limit)
    )
    return [ListedPaper(paper, entry) for paper, entry in session.execute(stmt).all()]


def adjacent_days(session: Session, day: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The nearest earlier and later days that have a list (lists skip weekends and holidays)."""
    visible = DailyEntry.hidden.is_(False)
    before = session.execute(select(func.max(DailyEntry.day)).where(DailyEntry.day < day, visible)).scalar()
    after = session.execute(select(func.min(DailyEntry.day)).where(DailyEntry.day > day, visible)).scalar()
    return before, after


# Built once (a paper page runs them on every view; building them cost more than running them).
PAPER_BY_ARXIV_ID = select(Paper).where(Paper.arxiv_id == bindparam("arxiv_id"))
LATEST_ENTRY = (
    select(DailyEntry)
    .where(DailyEntry.paper_id == bindparam("paper_id"), DailyEntry.hidden.is_(False))
    .order_by(DailyEntry.day.desc())
    .limit(1)
)


def paper_with_entry(session: Session, arxiv_id: str) -> tuple[Paper, DailyEntry | None] | None:
    """A paper and its latest visible daily entry (None when it was never listed)."""
    paper = session.execute(PAPER_BY_ARXIV_ID, {"arxiv_id": arxiv_id}).scalar_one_or_none()
    if paper is None:
        return None
    entry = session.execute(LATEST_ENTRY, {"paper_id": paper.id}).scalar_one_or_none()
    return paper, entry
