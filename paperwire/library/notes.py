"""Private notes and read marks: one of each per user and paper, never shown to anyone else."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from paperwire.clock import utcnow
from paperwire.db.models import Paper
from paperwire.library.errors import LibraryError, NotFound
from paperwire.library.models import Note, ReadMark

MAX_NOTE = 20_000


def _check_paper(session: Session, paper_id: int) -> None:
    if session.get(Paper, paper_id) is None:
        raise NotFound(f"no such paper: {paper_id}")


def set_note(session: Session, user_id: int, paper_id: int, text: str, at: dt.datetime | None = None) -> None:
    """Write the note; an empty text deletes it. ``at`` keeps an imported note's original time."""
    _check_paper(session, paper_id)
    body = text.strip()
    if len(body) > MAX_NOTE:
        raise LibraryError(f"a note has at most {MAX_NOTE} characters")
    note = session.execute(
        select(Note).where(Note.user_id == user_id, Note.paper_id == paper_id)
    ).scalar_one_or_none()
    if not body:
        if note is not None:
            session.delete(note)
    elif note is None:
        session.add(Note(user_id=user_id, paper_id=paper_id, text=body, updated_at=at or utcnow()))
    else:
        note.text = body
        note.updated_at = at or utcnow()
    session.flush()


def get_note(session: Session, user_id: int, paper_id: int) -> str | None:
    return session.execute(
        select(Note.text).where(Note.user_id == user_id, Note.paper_id == paper_id)
    ).scalar_one_or_none()


def notes_for(session: Session, user_id: int, paper_ids: list[int]) -> dict[int, str]:
    if not paper_ids:
        return {}
    rows = session.execute(
        select(Note.paper_id, Note.text).where(Note.user_id == user_id, Note.paper_id.in_(paper_ids))
    ).all()
    return {int(pid): str(text) for pid, text in rows}


def mark_read(
    session: Session, user_id: int, paper_id: int, read: bool = True, at: dt.datetime | None = None
) -> None:
    """Mark (or unmark) a paper read; ``at`` keeps an imported mark's original time."""
    _check_paper(session, paper_id)
    existing = session.execute(
        select(ReadMark).where(ReadMark.user_id == user_id, ReadMark.paper_id == paper_id)
    ).scalar_one_or_none()
    if read and existing is None:
        session.add(ReadMark(user_id=user_id, paper_id=paper_id, read_at=at or utcnow()))
    if not read:
        session.execute(delete(ReadMark).where(ReadMark.user_id == user_id, ReadMark.paper_id == paper_id))
    session.flush()


def read_ids(session: Session, user_id: int, paper_ids: list[int] | None = None) -> set[int]:
    stmt = select(ReadMark.paper_id).where(ReadMark.user_id == user_id)
    if paper_ids is not None:
        stmt = stmt.where(ReadMark.paper_id.in_(paper_ids))
    return set(session.execute(stmt).scalars())
