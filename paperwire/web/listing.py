"""Paper lists as the pages, feeds and JSON API show them: their rows (``ListRow``), and the latest list day
(kept a few seconds: the daily page is the hottest path) with the "now" trending is computed at."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from cachetools import TTLCache
from fastapi import Request
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.claims import Claim
from paperwire.claims.store import claims_for
from paperwire.clock import utcnow
from paperwire.daily.daily import ListedPaper, latest_day
from paperwire.daily.votes import voted_papers
from paperwire.db.models import DailyEntry, Paper
from paperwire.db.papers import EntryRow, PaperRow, latest_entries, paper_rows
from paperwire.web.pagecache import forget_pages

R = TypeVar("R")

LATEST_DAY_TTL = 5.0


class HitLike(Protocol):
    @property
    def paper_id(self) -> int: ...

    @property
    def highlights(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class ListRow:
    """One row of a paper list as the templates and the JSON API see it."""

    paper: Paper | PaperRow
    entry: DailyEntry | EntryRow | None
    voted: bool
    upvotes: int
    score: float | None = None
    highlights: dict[str, str] | None = None


def list_rows(db: Session, user: User | None, listed: list[ListedPaper]) -> list[ListRow]:
    """List rows plus, for a signed-in user, which ones they upvoted (one extra query)."""
    mine = voted_papers(db, user.id if user else None, [lp.paper.id for lp in listed])
    return [ListRow(lp.paper, lp.entry, lp.paper.id in mine, lp.entry.upvotes) for lp in listed]


def row_claims(db: Session, rows: Sequence[ListRow]) -> dict[int, list[Claim]]:
    """The stored claims of a list's papers (one query), for their chips."""
    return claims_for(db, [row.paper.id for row in rows])


def trending_now(db: Session, request: Request) -> dt.datetime:
    """Now, or the end of the latest list day when the store holds no recent lists (an archive, the sample).

    Without this, trending on a store whose newest list is older than the window would be empty.
    """
    now = utcnow()
    latest = cached_latest_day(db, request)
    if latest is None:
        return now
    end_of_latest = dt.datetime.combine(latest + dt.timedelta(days=1), dt.time())
    return min(now, end_of_latest)


_lock = threading.Lock()


def _latest_day_cache(request: Request) -> TTLCache[str, dt.date | None]:
    state = request.app.state
    with _lock:
        cache: TTLCache[str, dt.date | None] | None = getattr(state, "latest_day", None)
        if cache is None:
            cache = state.latest_day = TTLCache(1, LATEST_DAY_TTL, timer=time.monotonic)
        return cache


def cached_latest_day(db: Session, request: Request) -> dt.date | None:
    """``latest_day`` at most ``LATEST_DAY_TTL`` seconds old: the daily page is the hottest path."""
    cache = _latest_day_cache(request)
    with _lock:
        if "day" in cache:
            return cache["day"]
    day = latest_day(db)
    with _lock:
        cache["day"] = day
    return day


def forget_latest_day(request: Request) -> None:
    """After a submission or moderation the latest day and the lists may have changed."""
    cache = _latest_day_cache(request)
    with _lock:
        cache.clear()
    forget_pages(request)


def rows_for_hits(db: Session, user: User | None, hits: Sequence[HitLike]) -> list[ListRow]:
    """Search hits as list rows, in hit order: the papers' columns and latest entries in two queries."""
    ids = [h.paper_id for h in hits]
    papers = paper_rows(db, ids)
    entries = latest_entries(db, ids)
    mine = voted_papers(db, user.id if user else None, ids)
    rows = []
    for hit in hits:
        paper = papers.get(hit.paper_id)
        if paper is None:
            continue
        entry = entries.get(paper.id)
        rows.append(
            ListRow(paper, entry, paper.id in mine, entry.upvotes if entry else 0, None, dict(hit.highlights))
        )
    return rows
