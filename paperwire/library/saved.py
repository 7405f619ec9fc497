"""Saved searches and follows (authors, categories), and the papers each one currently matches.

Each has an unguessable feed token, so a feed reader (which cannot sign in) can poll its RSS/Atom feed.
Digests can include them through ``saved_searches`` / ``follows`` and ``follow_papers`` / ``search_papers``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import String, cast, delete, select
from sqlalchemy.orm import Session

from paperwire.clock import utcnow
from paperwire.db.models import Author, Paper, PaperAuthor
from paperwire.library.errors import LibraryError, NotFound
from paperwire.library.models import FOLLOW_KINDS, Follow, SavedSearch

if TYPE_CHECKING:
    from paperwire.search import AdaptiveSearch

SEARCH_MODES = ("hybrid", "keyword", "semantic")


@dataclass(frozen=True)
class FeedSource:
    """What a feed token points at: a saved search or a follow, and its owner."""

    user_id: int
    title: str
    search: SavedSearch | None = None
    follow: Follow | None = None


def add_saved_search(
    session: Session, user_id: int, name: str, query: str, mode: str = "hybrid"
) -> SavedSearch:
    """Keep a search (its text holds its filters, e.g. ``cat:cs.CL after:2025-01-01``) under a name."""
    name = " ".join(name.split())
    if not name or not query.strip():
        raise LibraryError("a saved search needs a name and a query")
    if mode not in SEARCH_MODES:
        raise LibraryError(f"unknown search mode {mode!r}: use {', '.join(SEARCH_MODES)}")
    existing = session.execute(
        select(SavedSearch).where(SavedSearch.user_id == user_id, SavedSearch.name == name)
    ).scalar_one_or_none()
    if existing is not None:
        existing.query, existing.mode = query.strip(), mode
        session.flush()
        return existing
    search = SavedSearch(
        user_id=user_id,
        name=name,
        query=query.strip(),
        mode=mode,
        feed_token=secrets.token_urlsafe(16),
        created_at=utcnow(),
    )
    session.add(search)
    session.flush()
    return search


def saved_searches(session: Session, user_id: int) -> list[SavedSearch]:
    return list(
        session.execute(
            select(SavedSearch).where(SavedSearch.user_id == user_id).order_by(SavedSearch.name)
        ).scalars()
    )


def delete_saved_search(session: Session, user_id: int, search_id: int) -> None:
    gone = session.execute(
        delete(SavedSearch).where(SavedSearch.user_id == user_id, SavedSearch.id == search_id)
    ).rowcount  # type: ignore[attr-defined]
    if not gone:
        raise NotFound("no such saved search")


def follow(session: Session, user_id: int, kind: str, value: str) -> Follow:
    if kind not in FOLLOW_KINDS:
        raise LibraryError(f"you can follow an author or a category, not {kind!r}")
    value = " ".join(value.split())
    if not value:
        raise LibraryError(f"name the {kind} to follow")
    existing = session.execute(
        select(Follow).where(Follow.user_id == user_id, Follow.kind == kind, Follow.value == value)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    row = Follow(
        user_id=user_id, kind=kind, value=value, feed_token=secrets.token_urlsafe(16), created_at=utcnow()
    )
    session.add(row)
    session.flush()
    return row


def follows(session: Session, user_id: int) -> list[Follow]:
    return list(
        session.execute(
            select(Follow).where(Follow.user_id == user_id).order_by(Follow.kind, Follow.value)
        ).scalars()
    )


def unfollow(session: Session, user_id: int, follow_id: int) -> None:
    gone = session.execute(delete(Follow).where(Follow.user_id == user_id, Follow.id == follow_id)).rowcount  # type: ignore[attr-defined]
    if not gone:
        raise NotFound("no such follow")


def follow_papers(session: Session, row: Follow, limit: int = 50) -> list[Paper]:
    """The newest papers by a followed author (exact name) or in a followed category (any of its listed ones)."""
    stmt = select(Paper)
    if row.kind == "author":
        stmt = (
            stmt.join(PaperAuthor, PaperAuthor.paper_id == Paper.id)
            .join(Author, Author.id == PaperAuthor.author_id)
            .where(Author.name == row.value)
        )
    else:
        # JSON lists are stored as text on SQLite and render as text on PostgreSQL: '["cs.CL", "cs.AI"]'.
        stmt = stmt.where(cast(Paper.categories, String).like(f'%"{row.value}"%'))
    stmt = stmt.order_by(Paper.published.desc().nulls_last(), Paper.change_seq.desc()).limit(limit)
    return list(session.execute(stmt).scalars().unique())


def search_papers(
    session: Session, search: AdaptiveSearch, saved: SavedSearch, limit: int = 50
) -> list[Paper]:
    """A saved search's papers, in the order the search ranks them; a query the search rejects raises
    ``QueryError`` (a ValueError)."""
    from paperwire.search import papers_for

    return papers_for(session, search.search(saved.query, mode=saved.mode, limit=limit).hits)


def feed_source(session: Session, token: str) -> FeedSource:
    """The saved search or follow behind a feed token; an unknown token is NotFound."""
    search = session.execute(select(SavedSearch).where(SavedSearch.feed_token == token)).scalar_one_or_none()
    if search is not None:
        return FeedSource(search.user_id, f"Saved search: {search.name}", search=search)
    row = session.execute(select(Follow).where(Follow.feed_token == token)).scalar_one_or_none()
    if row is not None:
        return FeedSource(row.user_id, f"{row.kind.title()}: {row.value}", follow=row)
    raise NotFound("no such feed")
