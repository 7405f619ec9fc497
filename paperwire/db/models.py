"""Core tables: papers, their authors, daily-list entries and ingestion runs.

Feature packages (accounts, digest, library, ...) keep their own tables in their own ``models.py``
on the same ``Base``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from paperwire.db.base import Base


class Paper(Base):
    __tablename__ = "papers"
    # For the status report: the newest paper per source, and papers still without an abstract.
    __table_args__ = (
        Index("ix_papers_source_published", "source", "published"),
        Index(
            "ix_papers_missing_abstract",
            "id",
            sqlite_where=text("abstract = ''"),
            postgresql_where=text("abstract = ''"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[list[str]] = mapped_column(JSON)
    primary_category: Mapped[str | None] = mapped_column(String(64), index=True)
    published: Mapped[dt.date | None] = mapped_column(Date, index=True)
    updated: Mapped[dt.date | None] = mapped_column(Date)
    doi: Mapped[str | None] = mapped_column(String(255))
    journal_ref: Mapped[str | None] = mapped_column(Text)
    comments: Mapped[str | None] = mapped_column(Text)
    license: Mapped[str | None] = mapped_column(String(255))
    abs_url: Mapped[str] = mapped_column(String(255))
    pdf_url: Mapped[str] = mapped_column(String(255))
    code_urls: Mapped[list[str]] = mapped_column(JSON)
    project_page: Mapped[str | None] = mapped_column(String(1024))
    github_stars: Mapped[int | None] = mapped_column(Integer)
    ai_summary: Mapped[str | None] = mapped_column(Text)
    ai_keywords: Mapped[list[str] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(32))
    # Monotonic change cursor: derived data (search indexes) catches up with `change_seq > last_seen`.
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    daily_entries: Mapped[list[DailyEntry]] = relationship(back_populates="paper")


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(512), unique=True)


class PaperAuthor(Base):
    __tablename__ = "paper_authors"

    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)


class DailyEntry(Base):
    """A paper on a day's community list (Hugging Face's Daily Papers, or submitted here)."""

    __tablename__ = "daily_entries"
    __table_args__ = (
        UniqueConstraint("paper_id", "day"),
        Index("ix_daily_entries_day_upvotes", "day", "upvotes"),
        Index("ix_daily_entries_source_day", "source", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    submitter: Mapped[str | None] = mapped_column(String(255))
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    num_comments: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    paper: Mapped[Paper] = relationship(back_populates="daily_entries")


class IngestRun(Base):
    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    # What was asked for (paths or URLs, in order): a run with the same key resumes an unfinished one.
    target: Mapped[str] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    # Record counts by outcome, and the process that runs it (``owner``: "host:pid").
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HarvestState(Base):
    """Where an incremental harvest (OAI-PMH) left off, per endpoint and metadata format."""

    __tablename__ = "harvest_state"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    last_datestamp: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
