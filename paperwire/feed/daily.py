"""Which papers were listed on a day, best first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperwire.db.models import DailyEntry, Paper


@dataclass(frozen=True)
class ListedPaper:
    paper: Paper
    entry: DailyEntry


def latest_day(session: Session) -> dt.date | None:
    return session.execute(select(func.max(DailyEntry.day)).where(DailyEntry.hidden.is_(False))).scalar()


def daily_list(session: Session, day: dt.date, limit: int | None = None) -> list[ListedPaper]:
    stmt = (
        select(Paper, DailyEntry)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(DailyEntry.day == day, DailyEntry.hidden.is_(False))
        .order_by(DailyEntry.upvotes.desc(), Paper.arxiv_id)
        .limit(limit)
    )
    return [ListedPaper(paper, entry) for paper, entry in session.execute(stmt).all()]
