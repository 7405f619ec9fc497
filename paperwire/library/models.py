"""Tables of the personal library; every row belongs to one user and is deleted with them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from paperwire.accounts.models import User
from paperwire.db.base import Base
from paperwire.db.models import Paper

FOLLOW_KINDS = ("author", "category")


class Tag(Base):
    """A named shelf; a public tag is readable (page and feed) by anyone holding its token."""

    __tablename__ = "library_tags"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_library_tags_user_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id, ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    public_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class TagItem(Base):
    """A paper saved under a tag (a paper may sit under several tags)."""

    __tablename__ = "library_items"
    __table_args__ = (UniqueConstraint("tag_id", "paper_id", name="uq_library_items_tag_id_paper_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id, ondelete="CASCADE"), index=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("library_tags.id", ondelete="CASCADE"))
    paper_id: Mapped[int] = mapped_column(ForeignKey(Paper.id, ondelete="CASCADE"), index=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Note(Base):
    __tablename__ = "library_notes"
    __table_args__ = (UniqueConstraint("user_id", "paper_id", name="uq_library_notes_user_id_paper_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id, ondelete="CASCADE"))
    paper_id: Mapped[int] = mapped_column(ForeignKey(Paper.id, ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ReadMark(Base):
    __tablename__ = "library_reads"
    __table_args__ = (UniqueConstraint("user_id", "paper_id", name="uq_library_reads_user_id_paper_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id, ondelete="CASCADE"))
    paper_id: Mapped[int] = mapped_column(ForeignKey(Paper.id, ondelete="CASCADE"))
    read_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Feedback(Base):
    """+1 "more like this" or -1 "not relevant": training signal for the recommender, never shown to others."""

    __tablename__ = "library_feedback"
    __table_args__ = (
        UniqueConstraint("user_id", "paper_id", name="uq_library_feedback_user_id_paper_id"),
        CheckConstraint("rating IN (-1, 1)", name="rating"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id, ondelete="CASCADE"))
    paper_id: Mapped[int] = mapped_column(ForeignKey(Paper.id, ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class SavedSearch(Base):
    """A search (query text with its filters) kept by name; its token names its private feed."""

    __tablename__ = "library_saved_searches"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_library_saved_searches_user_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id, ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16), default="hybrid")
    feed_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Follow(Base):
    """A followed author (exact display name) or arXiv category; its token names its private feed."""

    __tablename__ = "library_follows"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "value", name="uq_library_follows_user_id_kind_value"),
        CheckConstraint("kind IN ('author', 'category')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id, ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(512))
    feed_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
