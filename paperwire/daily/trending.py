"""Trending: papers ranked by upvotes that decay with age, across days.

    score = upvotes / (age_hours + offset_hours) ** gravity

where ``age_hours`` counts from the start of the paper's (latest) list day to ``now``. With the
defaults (gravity 1.5, offset 2 h, a 7-day window) a paper with 100 votes yesterday outranks one
with 250 votes four days ago; the formula is shown on the /about page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import DailyEntry, Paper


@dataclass(frozen=True)
class TrendingSettings:
    gravity: float = 1.5
    offset_hours: float = 2.0
    window_days: int = 7

    @classmethod
    def from_settings(cls, settings: Settings) -> TrendingSettings:
        """The PAPERWIRE_TRENDING_* values, so pages, feeds, API and digests rank alike."""
        return cls(
            gravity=settings.trending_gravity,
            offset_hours=settings.trending_offset_hours,
            window_days=settings.trending_window_days,
        )


@dataclass(frozen=True)
class TrendingPaper:
    paper: Paper
    upvotes: int
    day: dt.date
    score: float


def trend_score(upvotes: int, age_hours: float, settings: TrendingSettings) -> float:
    return float(upvotes / (max(age_hours, 0.0) + settings.offset_hours) ** settings.gravity)


def trending(
    session: Session,
    now: dt.datetime,
    limit: int = 50,
    settings: TrendingSettings = TrendingSettings(),
) -> list[TrendingPaper]:
    """Papers listed within the window before ``now``, best score first (ties: more votes, newer id)."""
    start = now.date() - dt.timedelta(days=settings.window_days)
    latest = (
        select(
            DailyEntry.paper_id,
            func.max(DailyEntry.day).label("day"),
            func.max(DailyEntry.upvotes).label("upvotes"),
        )
        .where(DailyEntry.day > start, DailyEntry.day <= now.date(), DailyEntry.hidden.is_(False))
        .group_by(DailyEntry.paper_id)
        .subquery()
    )
    rows = session.execute(
        select(Paper, latest.c.day, latest.c.upvotes).join(latest, latest.c.paper_id == Paper.id)
    ).all()
    naive_now = now.replace(tzinfo=None)
    scored = [
        TrendingPaper(
            paper=paper,
            upvotes=int(upvotes),
            day=day,
            score=trend_score(
                int(upvotes),
                (naive_now - dt.datetime.combine(day, dt.time())).total_seconds() / 3600,
                settings,
            ),
        )
        for paper, day, upvotes in rows
    ]
    scored.sort(key=lambda t: (-t.score, -t.upvotes, t.paper.arxiv_id))
    return scored[:limit]
