"""Upvotes: one per user per paper, counted atomically on the paper's latest daily entry.

The vote row and the counter change in one transaction that *starts with a write* (the insert or the
delete), so concurrent toggles queue on the row/lock instead of reading a stale count: on PostgreSQL the
unique (user, paper) constraint serialises the same user's toggles and ``upvotes = upvotes + 1`` is
atomic; on SQLite (whose driver opens a transaction only at the first write) the insert or delete takes the
database's write lock and later writers wait for it (busy_timeout).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from paperwire.clock import utcnow
from paperwire.daily.models import Vote
from paperwire.db.models import DailyEntry, Paper
from paperwire.db.upsert import insert_new
from paperwire.papers.ids import InvalidArxivId, normalize_arxiv_id


class NotListed(LookupError):
    """Only papers on a daily list can be upvoted (as on Hugging Face)."""


class UnknownPaper(LookupError):
    pass


class VoteConflict(RuntimeError):
    pass


TOGGLE_ATTEMPTS = 10


@dataclass(frozen=True)
class VoteResult:
    arxiv_id: str
    voted: bool
    upvotes: int


def _target(db: Session, arxiv_id: str) -> tuple[int, int]:
    """(paper id, id of its latest visible daily entry)."""
    try:
        normalize_arxiv_id(arxiv_id[:100])
    except InvalidArxivId:
        raise UnknownPaper(f"no paper {arxiv_id[:100]!r}: not an arXiv id") from None
    paper_id = db.execute(select(Paper.id).where(Paper.arxiv_id == arxiv_id)).scalar()
    if paper_id is None:
        raise UnknownPaper(f"no paper {arxiv_id} in this store")
    entry_id = db.execute(
        select(DailyEntry.id)
        .where(DailyEntry.paper_id == paper_id, DailyEntry.hidden.is_(False))
        .order_by(DailyEntry.day.desc())
        .limit(1)
    ).scalar()
    if entry_id is None:
        raise NotListed(f"{arxiv_id} is not on a daily list; submit it first")
    return paper_id, entry_id


def _add(db: Session, user_id: int, paper_id: int, entry_id: int) -> bool:
    stmt = (
        insert_new(db, Vote, ["user_id", "paper_id"])
        .values(user_id=user_id, paper_id=paper_id, entry_id=entry_id, created_at=utcnow())
        .returning(Vote.id)
    )
    if db.execute(stmt).first() is None:
        return False
    db.execute(update(DailyEntry).where(DailyEntry.id == entry_id).values(upvotes=DailyEntry.upvotes + 1))
    return True


def _remove(db: Session, user_id: int, paper_id: int) -> bool:
    row = db.execute(
        delete(Vote).where(Vote.user_id == user_id, Vote.paper_id == paper_id).returning(Vote.entry_id)
    ).first()
    if row is None:
        return False
    db.execute(update(DailyEntry).where(DailyEntry.id == row[0]).values(upvotes=DailyEntry.upvotes - 1))
    return True


def _count(db: Session, entry_id: int) -> int:
    return int(db.execute(select(DailyEntry.upvotes).where(DailyEntry.id == entry_id)).scalar_one())


def set_vote(db: Session, user_id: int, arxiv_id: str, up: bool) -> VoteResult:
    """Idempotent: voting twice counts once, removing a missing vote changes nothing."""
    paper_id, entry_id = _target(db, arxiv_id)
    if up:
        _add(db, user_id, paper_id, entry_id)
    else:
        _remove(db, user_id, paper_id)
    count = _count(db, entry_id)
    db.commit()
    return VoteResult(arxiv_id, up, count)


def toggle_vote(db: Session, user_id: int, arxiv_id: str) -> VoteResult:
    """Vote if the user has not, else take the vote back; exactly one of the two happens."""
    paper_id, entry_id = _target(db, arxiv_id)
    for _ in range(TOGGLE_ATTEMPTS):
        # Under PostgreSQL's READ COMMITTED a concurrent toggle by the same user can make the insert
        # see the vote and the delete find it already gone; each statement sees fresh data, so retry.
        if _add(db, user_id, paper_id, entry_id):
            voted = True
            break
        if _remove(db, user_id, paper_id):
            voted = False
            break
    else:
        db.rollback()
        raise VoteConflict("the vote changed concurrently; try again")
    count = _count(db, entry_id)
    db.commit()
    return VoteResult(arxiv_id, voted, count)


def voted_papers(db: Session, user_id: int | None, paper_ids: Iterable[int]) -> set[int]:
    """Which of ``paper_ids`` this user has upvoted (one query for a whole list)."""
    ids = list(paper_ids)
    if user_id is None or not ids:
        return set()
    return set(db.scalars(select(Vote.paper_id).where(Vote.user_id == user_id, Vote.paper_id.in_(ids))))
