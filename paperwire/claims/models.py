"""Tables of the claims store: each paper's claims, and which abstract they were extracted from."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from paperwire.db.base import Base
from paperwire.db.models import Paper


class PaperClaim(Base):
    """One claim of a paper's abstract; ``factor`` and ``percent`` are the signed values filters compare."""

    __tablename__ = "paper_claims"
    __table_args__ = (
        Index("ix_paper_claims_kind_factor", "kind", "factor"),
        Index("ix_paper_claims_kind_percent", "kind", "percent"),
    )

    paper_id: Mapped[int] = mapped_column(ForeignKey(Paper.id, ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    stop: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    value_min: Mapped[float | None] = mapped_column(Float)
    value_max: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    unit_text: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    factor: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)


class ClaimExtraction(Base):
    """That a paper's abstract has been read (it may hold no claims): what backfill resumes from and what
    the ingest hook compares, so an unchanged abstract is not extracted again."""

    __tablename__ = "paper_claim_extractions"

    paper_id: Mapped[int] = mapped_column(ForeignKey(Paper.id, ondelete="CASCADE"), primary_key=True)
    abstract_hash: Mapped[int] = mapped_column(BigInteger)
    extractor_version: Mapped[int] = mapped_column(Integer)
