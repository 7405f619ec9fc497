"""Saving papers under tags; renaming, merging, deleting and publishing tags."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from paperwire.clock import utcnow
from paperwire.db.models import Paper
from paperwire.library.errors import LibraryError, NotFound
from paperwire.library.models import Tag, TagItem
from paperwire.papers.ids import InvalidArxivId, parse_arxiv_id

DEFAULT_TAG = "saved"
MAX_TAG = 100


@dataclass(frozen=True)
class TagInfo:
    id: int
    name: str
    count: int
    public: bool
    public_token: str | None


def clean_tag_name(name: str) -> str:
    """Tag names are shown in URLs and BibTeX keywords: one line, no surrounding spaces, not empty."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise LibraryError("a tag name cannot be empty")
    if len(cleaned) > MAX_TAG:
        raise LibraryError(f"a tag name has at most {MAX_TAG} characters")
    if "/" in cleaned:
        raise LibraryError("a tag name cannot contain '/' (it is part of the tag's web address)")
    return cleaned


def resolve_paper(session: Session, ref: str | int) -> Paper:
    """A paper by its store id or any spelling of its arXiv id."""
    paper: Paper | None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        paper = session.get(Paper, int(ref))
    else:
        try:
            arxiv_id, _ = parse_arxiv_id(ref)
        except InvalidArxivId:
            raise NotFound(f"not a paper id or arXiv id: {ref!r}") from None
        paper = session.execute(select(Paper).where(Paper.arxiv_id == arxiv_id)).scalar_one_or_none()
    if paper is None:
        raise NotFound(f"no such paper: {ref}")
    return paper


def find_tag(session: Session, user_id: int, name: str) -> Tag | None:
    return session.execute(
        select(Tag).where(Tag.user_id == user_id, Tag.name == clean_tag_name(name))
    ).scalar_one_or_none()


def get_tag(session: Session, user_id: int, name: str) -> Tag:
    tag = find_tag(session, user_id, name)
    if tag is None:
        raise NotFound(f"no tag named {name!r}")
    return tag


def ensure_tag(session: Session, user_id: int, name: str) -> Tag:
    tag = find_tag(session, user_id, name)
    if tag is None:
        tag = Tag(user_id=user_id, name=clean_tag_name(name), public=False)
        session.add(tag)
        session.flush()
    return tag


def save(session: Session, user_id: int, paper_id: int, tags: list[str] | None = None) -> list[str]:
    """Put a paper under each tag (created on first use); saving twice is harmless. Returns the tag names."""
    if session.get(Paper, paper_id) is None:
        raise NotFound(f"no such paper: {paper_id}")
    names = []
    for name in tags or [DEFAULT_TAG]:
        tag = ensure_tag(session, user_id, name)
        names.append(tag.name)
        exists = session.execute(
            select(TagItem.id).where(TagItem.tag_id == tag.id, TagItem.paper_id == paper_id)
        ).first()
        if not exists:
            session.add(TagItem(user_id=user_id, tag_id=tag.id, paper_id=paper_id, added_at=utcnow()))
    session.flush()
    return names


def unsave(session: Session, user_id: int, paper_id: int, tag: str | None = None) -> int:
    """Take a paper off one tag, or off every tag when none is named; returns how many links went."""
    stmt = delete(TagItem).where(TagItem.user_id == user_id, TagItem.paper_id == paper_id)
    if tag is not None:
        stmt = stmt.where(TagItem.tag_id == get_tag(session, user_id, tag).id)
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def list_tags(session: Session, user_id: int) -> list[TagInfo]:
    rows = session.execute(
        select(Tag, func.count(TagItem.id))
        .outerjoin(TagItem, TagItem.tag_id == Tag.id)
        .where(Tag.user_id == user_id)
        .group_by(Tag.id)
        .order_by(Tag.name)
    ).all()
    return [TagInfo(t.id, t.name, int(n), t.public, t.public_token) for t, n in rows]


def tag_papers(session: Session, tag_id: int) -> list[Paper]:
    """A tag's papers, most recently saved first."""
    return list(
        session.execute(
            select(Paper)
            .join(TagItem, TagItem.paper_id == Paper.id)
            .where(TagItem.tag_id == tag_id)
            .order_by(TagItem.added_at.desc(), TagItem.id.desc())
        ).scalars()
    )


def paper_tags(session: Session, user_id: int, paper_ids: list[int]) -> dict[int, list[str]]:
    """Which of the user's tags each paper sits under (for list pages)."""
    out: dict[int, list[str]] = {}
    if not paper_ids:
        return out
    rows = session.execute(
        select(TagItem.paper_id, Tag.name)
        .join(Tag, Tag.id == TagItem.tag_id)
        .where(TagItem.user_id == user_id, TagItem.paper_id.in_(paper_ids))
        .order_by(Tag.name)
    ).all()
    for paper_id, name in rows:
        out.setdefault(paper_id, []).append(name)
    return out


def saved_paper_ids(session: Session, user_id: int, tag_id: int | None = None) -> set[int]:
    stmt = select(TagItem.paper_id).where(TagItem.user_id == user_id)
    if tag_id is not None:
        stmt = stmt.where(TagItem.tag_id == tag_id)
    return set(session.execute(stmt).scalars())


def rename_tag(session: Session, user_id: int, old: str, new: str) -> None:
    tag = get_tag(session, user_id, old)
    target = clean_tag_name(new)
    if target == tag.name:
        return
    if find_tag(session, user_id, target) is not None:
        raise LibraryError(f"a tag named {target!r} exists already; merge the tags instead")
    tag.name = target
    session.flush()


def merge_tags(session: Session, user_id: int, sources: list[str], target: str) -> int:
    """Move every paper of the source tags under the target (created if needed), then drop the sources."""
    into = ensure_tag(session, user_id, target)
    have = saved_paper_ids(session, user_id, into.id)
    moved = 0
    for name in sources:
        tag = get_tag(session, user_id, name)
        if tag.id == into.id:
            continue
        for item in session.execute(select(TagItem).where(TagItem.tag_id == tag.id)).scalars():
            if item.paper_id not in have:
                session.add(
                    TagItem(user_id=user_id, tag_id=into.id, paper_id=item.paper_id, added_at=item.added_at)
                )
                have.add(item.paper_id)
                moved += 1
        session.flush()
        session.execute(delete(TagItem).where(TagItem.tag_id == tag.id))
        session.delete(tag)
    session.flush()
    return moved


def delete_tag(session: Session, user_id: int, name: str) -> None:
    tag = get_tag(session, user_id, name)
    session.execute(delete(TagItem).where(TagItem.tag_id == tag.id))
    session.delete(tag)
    session.flush()


def set_public(session: Session, user_id: int, name: str, public: bool) -> str | None:
    """Publish a tag (read-only page and feed at an unguessable token) or make it private again.

    Unpublishing drops the token, so an old link stops working and republishing gives a new one.
    """
    tag = get_tag(session, user_id, name)
    tag.public = public
    if public and not tag.public_token:
        tag.public_token = secrets.token_urlsafe(16)
    if not public:
        tag.public_token = None
    session.flush()
    return tag.public_token


def public_tag(session: Session, token: str) -> Tag:
    """The public tag behind a token; private and unknown tags are the same NotFound."""
    tag = session.execute(
        select(Tag).where(Tag.public_token == token, Tag.public.is_(True))
    ).scalar_one_or_none()
    if tag is None:
        raise NotFound("no such public tag")
    return tag
