"""Submitting a paper to today's list, by arXiv id or URL, with Hugging Face's rules.

The paper's metadata comes from the store, else from the arXiv API (one request, no retries: a person
is waiting). A paper can be submitted only within ``WINDOW_DAYS`` of its arXiv date, and only once:
a paper already on any daily list (hidden or not) is refused with the day it was listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.config import Settings
from paperwire.db.models import DailyEntry, Paper
from paperwire.ingest.arxiv_api import parse_feed
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.inputs import InputError
from paperwire.ingest.writer import write_batch
from paperwire.papers.ids import InvalidArxivId, parse_arxiv_id
from paperwire.papers.record import Record

WINDOW_DAYS = 14

Fetcher = Callable[[str], Record | None]


class SubmitError(ValueError):
    pass


class AlreadySubmitted(SubmitError):
    pass


class TooOld(SubmitError):
    pass


class NotFoundOnArxiv(SubmitError):
    pass


def arxiv_fetcher(settings: Settings) -> Fetcher:
    """Look one id up on the arXiv API; None when arXiv does not know it."""

    def fetch(arxiv_id: str) -> Record | None:
        url = settings.arxiv_api_url
        with PoliteClient(interval=0, timeout=min(settings.http_timeout, 20.0), retries=0) as client:
            try:
                response = client.get(url, {"id_list": arxiv_id, "max_results": "1"}, allow=(400,))
                feed = parse_feed(response.content, url, 0)
            except InputError as exc:
                raise SubmitError(f"could not fetch {arxiv_id} from arXiv: {exc}") from exc
        records = [item for item in feed.entries if isinstance(item, Record) and item.arxiv_id == arxiv_id]
        return records[0] if records else None

    return fetch


def _find(db: Session, arxiv_id: str) -> Paper | None:
    return db.execute(select(Paper).where(Paper.arxiv_id == arxiv_id)).scalar_one_or_none()


def submit_paper(db: Session, user: User, raw: str, *, today: dt.date, fetch: Fetcher | None) -> DailyEntry:
    """Put the paper on ``today``'s list as submitted by ``user``; raises SubmitError with the reason."""
    try:
        arxiv_id, _ = parse_arxiv_id(raw[:300])
    except InvalidArxivId:
        raise SubmitError(
            f"{raw[:80]!r} is not an arXiv id or URL (expected e.g. 2401.01234 or https://arxiv.org/abs/2401.01234)"
        ) from None
    paper = _find(db, arxiv_id)
    if paper is None and fetch is not None:
        record = fetch(arxiv_id)
        if record is not None:
            write_batch(db.connection(), [record], "arxiv-api")
            db.commit()
            paper = _find(db, arxiv_id)
    if paper is None:
        raise NotFoundOnArxiv(f"arXiv has no paper {arxiv_id}")
    listed = db.execute(
        select(DailyEntry.day).where(DailyEntry.paper_id == paper.id).order_by(DailyEntry.day).limit(1)
    ).scalar()
    if listed is not None:
        raise AlreadySubmitted(f"{arxiv_id} is already on the daily list of {listed.isoformat()}")
    arxiv_date = paper.published or paper.updated
    if arxiv_date is None or (today - arxiv_date).days > WINDOW_DAYS:
        when = arxiv_date.isoformat() if arxiv_date else "an unknown date"
        raise TooOld(
            f"papers can be submitted up to {WINDOW_DAYS} days after their arXiv date; {arxiv_id} is from {when}"
        )
    entry = DailyEntry(
        paper_id=paper.id,
        day=today,
        submitter=user.display_name or user.email.split("@", 1)[0],
        submitted_by_user_id=user.id,
        upvotes=0,
        num_comments=0,
        hidden=False,
        source="submitted",
    )
    db.add(entry)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise AlreadySubmitted(f"{arxiv_id} was just submitted by someone else") from None
    return entry


def set_hidden(db: Session, entry_id: int, hidden: bool) -> DailyEntry:
    """Admin moderation: a hidden entry disappears from lists, trending, feeds and the API."""
    entry = db.get(DailyEntry, entry_id)
    if entry is None:
        raise SubmitError(f"no daily entry {entry_id}")
    entry.hidden = hidden
    db.commit()
    return entry


def recent_submissions(db: Session, limit: int = 100) -> list[tuple[DailyEntry, Paper]]:
    """Entries users submitted here, newest first, hidden ones included (so an admin can restore them)."""
    rows = db.execute(
        select(DailyEntry, Paper)
        .join(Paper, Paper.id == DailyEntry.paper_id)
        .where(DailyEntry.submitted_by_user_id.is_not(None))
        .order_by(DailyEntry.created_at.desc(), DailyEntry.id.desc())
        .limit(limit)
    ).all()
    return [(entry, paper) for entry, paper in rows]
