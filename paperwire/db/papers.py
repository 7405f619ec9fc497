"""Papers read by id: one place for "these papers, in this order" (search hits, saved searches, digests)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperwire.db.models import Paper


def by_ids(session: Session, ids: Sequence[int]) -> list[Paper]:
    """The papers with ``ids``, in that order; ids with no paper (deleted since) are left out."""
    if not ids:
        return []
    found = {p.id: p for p in session.execute(select(Paper).where(Paper.id.in_(list(ids)))).scalars()}
    return [found[i] for i in ids if i in found]
