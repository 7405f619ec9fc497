"""Digest tables: who subscribed to what, the outbox of digest emails, and what each subscriber was sent.

The outbox has one row per subscription and period (``uq_digest_outbox_subscription_id``), so two
senders planning the same period cannot both create an email; ``digest_sent_papers`` makes "never the
same paper twice" a primary-key fact rather than a query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
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
)
from sqlalchemy.orm import Mapped, mapped_column

from paperwire.db.base import Base

CADENCES = ("daily", "weekly")
STATUSES = ("pending", "active", "paused", "unsubscribed")
STATES = ("queued", "sending", "sent", "failed")


class Subscription(Base):
    __tablename__ = "digest_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stored lower-cased: one subscription per mailbox, however it was typed.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cadence: Mapped[str] = mapped_column(String(16), default="daily")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    include_trending: Mapped[bool] = mapped_column(Boolean, default=True)
    include_recommendations: Mapped[bool] = mapped_column(Boolean, default=False)
    queries: Mapped[list[str]] = mapped_column(JSON, default=list)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A confirmation link carries this nonce; confirming clears it, so each link works once.
    confirm_nonce: Mapped[str | None] = mapped_column(String(64))
    confirm_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    hard_failures: Mapped[int] = mapped_column(Integer, default=0)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="form")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    def topics(self) -> dict[str, Any]:
        return {
            "trending": self.include_trending,
            "queries": list(self.queries or []),
            "authors": list(self.authors or []),
            "categories": list(self.categories or []),
            "recommendations": self.include_recommendations,
        }


class OutboxEmail(Base):
    """One digest email for one subscription and period, from planned to sent (or failed)."""

    __tablename__ = "digest_outbox"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_key"),
        Index("ix_digest_outbox_period_key_state", "period_key", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("digest_subscriptions.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    # The composed content, fixed at planning time so a retried email is the same email:
    # [{"paper_id": int, "section": str, "reason": str | None}, ...]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    message_id: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Set (and committed) just before the SMTP transaction, cleared with its outcome: a row found with it
    # set after its sender died may or may not have been delivered (the crash window, see outbox.py).
    delivering_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class SentPaper(Base):
    """A paper put in a subscriber's digest; reserved when planned, released if the email fails for good."""

    __tablename__ = "digest_sent_papers"
    __table_args__ = (Index("ix_digest_sent_papers_paper_id", "paper_id"),)

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("digest_outbox.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
