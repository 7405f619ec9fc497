"""Papers read by id: one place for "these papers, in this order" (search hits, saved searches, digests),
and for the lighter rows that lists, feeds and the JSON API show of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from paperwire.db.models import DailyEntry, Paper

R = TypeVar("R")


def by_ids(session: Session, ids: Sequence[int]) -> list[Paper]:
    """The papers with ``ids``, in that order; ids with no paper (deleted since) are left out."""
    if not ids:
        return []
    found = {p.id: p for p in session.execute(select(Paper).where(Paper.id.in_(list(ids)))).scalars()}
    return [found[i] for i in ids if i in found]


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
