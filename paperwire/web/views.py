"""Shapes the routes share: list items for templates, trending settings, and the short latest-day cache."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

from fastapi import Request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from starlette.templating import _TemplateResponse

from paperwire.accounts.models import User
from paperwire.claims import Claim
from paperwire.claims.store import claims_for
from paperwire.db.models import DailyEntry, Paper
from paperwire.feed.daily import ListedPaper, latest_day
from paperwire.feed.votes import voted_papers
from paperwire.web.deps import templates
from paperwire.web.pagecache import forget_pages

R = TypeVar("R")

LATEST_DAY_TTL = 5.0


class HitLike(Protocol):
    @property
    def paper_id(self) -> int: ...

    @property
    def highlights(self) -> Mapping[str, str]: ...


class PaperRow(NamedTuple):
    """The columns of a paper that lists, feeds and the JSON API show (no ORM object: a tenth of the cost)."""

    id: int
    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    primary_category: str | None
    published: dt.date | None
    code_urls: list[str]
    project_page: str | None
    github_stars: int | None
    ai_summary: str | None
    ai_keywords: list[str] | None


class EntryRow(NamedTuple):
    """The columns of a daily entry that lists, feeds and the JSON API show."""

    paper_id: int
    day: dt.date
    submitter: str | None
    upvotes: int
    num_comments: int


@dataclass(frozen=True)
class Item:
    """One row of a paper list as the templates and the JSON API see it."""

    paper: Paper | PaperRow
    entry: DailyEntry | EntryRow | None
    voted: bool
    upvotes: int
    score: float | None = None
    highlights: dict[str, str] | None = None


def items(db: Session, user: User | None, listed: list[ListedPaper]) -> list[Item]:
    """List rows plus, for a signed-in user, which ones they upvoted (one extra query)."""
    mine = voted_papers(db, user.id if user else None, [lp.paper.id for lp in listed])
    return [Item(lp.paper, lp.entry, lp.paper.id in mine, lp.entry.upvotes) for lp in listed]


def row_claims(db: Session, rows: Sequence[Item]) -> dict[int, list[Claim]]:
    """The stored claims of a list's papers (one query), for their chips."""
    return claims_for(db, [row.paper.id for row in rows])


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


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


def cached_latest_day(db: Session, request: Request) -> dt.date | None:
    """``latest_day`` at most ``LATEST_DAY_TTL`` seconds old: the daily page is the hottest path."""
    state = request.app.state
    cached: tuple[float, dt.date | None] | None = getattr(state, "latest_day", None)
    now = time.monotonic()
    if cached is not None and now - cached[0] < LATEST_DAY_TTL:
        return cached[1]
    day = latest_day(db)
    with _lock:
        state.latest_day = (now, day)
    return day


def forget_latest_day(request: Request) -> None:
    """After a submission or moderation the latest day and the lists may have changed."""
    request.app.state.latest_day = None
    forget_pages(request)


def render(request: Request, name: str, status_code: int = 200, **context: object) -> _TemplateResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


_papers = Paper.__table__.c
_entries = DailyEntry.__table__.c
# Core statements with an expanding IN, built once: SQLAlchemy caches their compiled form.
PAPER_ROWS = select(*(_papers[name] for name in PaperRow._fields)).where(
    _papers.id.in_(bindparam("ids", expanding=True))
)
ENTRY_ROWS = (
    select(*(_entries[name] for name in EntryRow._fields))
    .where(_entries.paper_id.in_(bindparam("ids", expanding=True)), _entries.hidden.is_(False))
    .order_by(_entries.day)
)


TITLE_ROWS = select(_papers.id, _papers.arxiv_id, _papers.title).where(
    _papers.id.in_(bindparam("ids", expanding=True))
)


class TitleRow(NamedTuple):
    id: int
    arxiv_id: str
    title: str


def _rows_by_id(db: Session, statement: Any, ids: Sequence[int], row: Callable[..., R]) -> dict[int, R]:
    """``statement``'s rows for ``ids`` (its expanding parameter), keyed by their first column."""
    if not ids:
        return {}
    return {values[0]: row(*values) for values in db.execute(statement, {"ids": list(ids)})}


def title_rows(db: Session, ids: Sequence[int]) -> dict[int, TitleRow]:
    """Just enough of some papers to link to them (the similar papers on a paper page)."""
    return _rows_by_id(db, TITLE_ROWS, ids, TitleRow)


def paper_rows(db: Session, ids: Sequence[int]) -> dict[int, PaperRow]:
    return _rows_by_id(db, PAPER_ROWS, ids, PaperRow)


def latest_entries(db: Session, ids: Sequence[int]) -> dict[int, EntryRow]:
    """Each paper's latest visible daily entry, read now (upvote counts are never cached)."""
    entries: dict[int, EntryRow] = {}
    if ids:
        rows: Any = db.execute(ENTRY_ROWS, {"ids": list(ids)})
        for row in rows:
            entries[row[0]] = EntryRow(*row)  # ordered by day: the latest entry wins
    return entries


def items_for_hits(db: Session, user: User | None, hits: Sequence[HitLike]) -> list[Item]:
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
            Item(paper, entry, paper.id in mine, entry.upvotes if entry else 0, None, dict(hit.highlights))
        )
    return rows
