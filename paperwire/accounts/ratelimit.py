"""Fixed-window rate limits kept in the database, so every worker process sees the same counts.

An attempt is counted *before* it is allowed (one atomic upsert that returns the new count): checking
first and counting after would let every request that arrives before the first one is recorded
through, turning "10 per window" into "10 per round trip" for a client with many connections.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, delete
from sqlalchemy.orm import Session

from paperwire.accounts.models import RateLimitBucket
from paperwire.clock import utcnow
from paperwire.db.upsert import insert


class RateLimited(Exception):
    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def _key(key: str) -> str:
    """Keys embed user input (an email as typed): keep them short and free of NUL, which PostgreSQL refuses."""
    return key.replace("\x00", "")[:400]


def consume(db: Session, key: str, limit: int, window: dt.timedelta, what: str) -> None:
    """Count one attempt for ``key`` and commit; raise RateLimited if it is over ``limit`` in this window."""
    now = utcnow()
    expired = RateLimitBucket.window_start <= now - window
    stmt = (
        insert(db, RateLimitBucket)
        .values(key=_key(key), window_start=now, count=1)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": case((expired, 1), else_=RateLimitBucket.count + 1),
                "window_start": case((expired, now), else_=RateLimitBucket.window_start),
            },
        )
        .returning(RateLimitBucket.count, RateLimitBucket.window_start)
    )
    count, window_start = db.execute(stmt).one()
    db.commit()
    if count > limit:
        wait = max(1, int((window_start + window - now).total_seconds()) + 1)
        raise RateLimited(f"too many {what}; try again in {wait} seconds", wait)


def reset(db: Session, key: str) -> None:
    """Forget a key's attempts (after a successful sign-in, the account's earlier tries no longer count)."""
    db.execute(delete(RateLimitBucket).where(RateLimitBucket.key == _key(key)))
    db.commit()
