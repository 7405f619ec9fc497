"""Ratings: +1 "more like this" and -1 "not relevant", the recommender's explicit examples."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from paperwire.clock import utcnow
from paperwire.db.models import Paper
from paperwire.library.errors import LibraryError, NotFound
from paperwire.library.models import Feedback

MORE = 1
NOT_RELEVANT = -1


def rate(session: Session, user_id: int, paper_id: int, rating: int, at: dt.datetime | None = None) -> None:
    """Set the user's rating of a paper; 0 clears it. ``at`` keeps an imported rating's original time."""
    if rating not in (MORE, NOT_RELEVANT, 0):
        raise LibraryError("a rating is 1 (more like this), -1 (not relevant) or 0 (clear)")
    if session.get(Paper, paper_id) is None:
        raise NotFound(f"no such paper: {paper_id}")
    session.execute(delete(Feedback).where(Feedback.user_id == user_id, Feedback.paper_id == paper_id))
    if rating:
        session.add(Feedback(user_id=user_id, paper_id=paper_id, rating=rating, created_at=at or utcnow()))
    session.flush()


def ratings(session: Session, user_id: int, paper_ids: list[int] | None = None) -> dict[int, int]:
    stmt = select(Feedback.paper_id, Feedback.rating).where(Feedback.user_id == user_id)
    if paper_ids is not None:
        stmt = stmt.where(Feedback.paper_id.in_(paper_ids))
    return {int(pid): int(r) for pid, r in session.execute(stmt).all()}
