"""The digest outbox: one row per subscription and period, claimed atomically, sent at most once.

Life of a row: planned ``queued`` (with its papers reserved in ``digest_sent_papers``) -> claimed
``sending`` by one sender under a lease -> ``sent`` (committed right after the SMTP server accepts),
or back to ``queued`` with a later ``next_attempt_at`` (temporary failure), or ``failed`` (permanent
failure or too many tries; its papers are released).

Why this is exactly-once:

* Planning inserts with ``ON CONFLICT DO NOTHING`` on ``(subscription_id, period_key)``: two senders
  planning the same period create one row between them.
* Claiming is a single ``UPDATE ... WHERE state = 'queued' ... RETURNING`` (with ``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL; SQLite serialises writers), so a row has one owner at a time.
* A sender only starts an SMTP transaction while its lease has at least ``2 x`` the SMTP timeout left,
  so nobody else can take the row over while that transaction can still be running.
* Each SMTP transaction is bracketed by commits: ``delivering_since`` is committed just before it,
  and ``sent`` in the very next statement after the server's 250 (batched with the next email's
  marker; every email of a batch is rendered beforehand, so nothing else runs in between).

The crash window, and what happens in it. A sender killed (SIGKILL, power loss) at any instant
leaves its claimed rows in ``sending``; after the lease they are requeued (``recover_expired``):

* claimed, marker not set: certainly not sent; sent later, once.
* marker set, no ``sent``: the SMTP transaction may or may not have completed. This is the window
  between the server accepting the message and our commit (a few milliseconds; at most one email per
  SMTP connection of the crashed sender, each having one transaction in flight). The email is sent
  again with the *same* ``Message-ID`` (derived from the period and subscription, never random), so
  a duplicate is recognisable downstream, and ``last_error`` records that it was re-sent.

No scheme can close this window without the SMTP server's help (it does not know our commit); the
alternative, not resending such rows, would turn a rare duplicate into a rare lost digest.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, Table, delete, func, select, update

from paperwire.db.upsert import insert_new
from paperwire.digest.compose import Composition, Period
from paperwire.digest.models import OutboxEmail, SentPaper, Subscription

OUTBOX: Table = OutboxEmail.__table__  # type: ignore[assignment]
SENT: Table = SentPaper.__table__  # type: ignore[assignment]
SUBS: Table = Subscription.__table__  # type: ignore[assignment]
INSERT_CHUNK = 500
log = logging.getLogger(__name__)
INTERRUPTED = "the sender stopped during delivery; sent again with the same Message-ID"


def planned_subscriptions(engine: Engine, period_key: str) -> dict[int, str]:
    """subscription id -> state of its row for this period."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(OUTBOX.c.subscription_id, OUTBOX.c.state).where(OUTBOX.c.period_key == period_key)
        )
        return {int(sub_id): str(state) for sub_id, state in rows}


def enqueue(
    engine: Engine,
    period: Period,
    compositions: Sequence[Composition],
    message_ids: dict[int, str],
    now: dt.datetime,
) -> int:
    """Create the period's rows and reserve their papers; rows another sender created first are left alone.

    Returns how many rows this call created.
    """
    created = 0
    todo = [c for c in compositions if c.picks]
    for start in range(0, len(todo), INSERT_CHUNK):
        chunk = todo[start : start + INSERT_CHUNK]
        by_sub = {c.subscription_id: c for c in chunk}
        with engine.begin() as conn:
            stmt = insert_new(conn, OUTBOX, ["subscription_id", "period_key"]).returning(
                OUTBOX.c.id, OUTBOX.c.subscription_id
            )
            rows = conn.execute(
                stmt,
                [
                    {
                        "subscription_id": c.subscription_id,
                        "period_key": period.key,
                        "period_start": period.start,
                        "period_end": period.end,
                        "items": [pick.as_dict() for pick in c.picks],
                        "message_id": message_ids[c.subscription_id],
                        "state": "queued",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for c in chunk
                ],
            ).all()
            reservations = [
                {
                    "subscription_id": sub_id,
                    "paper_id": pick.paper_id,
                    "outbox_id": outbox_id,
                    "created_at": now,
                }
                for outbox_id, sub_id in rows
                for pick in by_sub[sub_id].picks
            ]
            if reservations:
                conn.execute(insert_new(conn, SENT, ["subscription_id", "paper_id"]), reservations)
            created += len(rows)
    return created


def recover_expired(engine: Engine, now: dt.datetime, period_key: str | None = None) -> list[int]:
    """Requeue rows whose sender's lease ran out; returns those that were mid-delivery (maybe sent).

    Rows merely claimed were certainly not sent and go back silently; a row with ``delivering_since``
    set is in the crash window and is sent again with the same Message-ID, noted in ``last_error``.
    """
    with engine.begin() as conn:
        expired = [OUTBOX.c.state == "sending", OUTBOX.c.lease_until < now]
        if period_key is not None:
            expired.append(OUTBOX.c.period_key == period_key)
        interrupted = conn.execute(
            update(OUTBOX)
            .where(*expired, OUTBOX.c.delivering_since.is_not(None))
            .values(
                state="queued",
                claimed_by=None,
                lease_until=None,
                delivering_since=None,
                next_attempt_at=now,
                last_error=INTERRUPTED,
            )
            .returning(OUTBOX.c.id)
        ).all()
        conn.execute(update(OUTBOX).where(*expired).values(state="queued", claimed_by=None, lease_until=None))
        return sorted(int(row_id) for (row_id,) in interrupted)


def claim(
    engine: Engine,
    owner: str,
    now: dt.datetime,
    lease_until: dt.datetime,
    limit: int,
    period_key: str | None = None,
) -> list[int]:
    """Atomically take up to ``limit`` due rows for ``owner``; each row goes to exactly one caller."""
    with engine.begin() as conn:
        due = select(OUTBOX.c.id).where(OUTBOX.c.state == "queued", OUTBOX.c.next_attempt_at <= now)
        if period_key is not None:
            due = due.where(OUTBOX.c.period_key == period_key)
        due = due.order_by(OUTBOX.c.id).limit(limit)
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(due), OUTBOX.c.state == "queued")
            .values(state="sending", claimed_by=owner, claimed_at=now, lease_until=lease_until)
            .returning(OUTBOX.c.id)
        )
        return sorted(int(row_id) for (row_id,) in conn.execute(stmt))


def _mine(row_id: int, owner: str) -> tuple[ColumnElement[bool], ...]:
    return (OUTBOX.c.id == row_id, OUTBOX.c.claimed_by == owner, OUTBOX.c.state == "sending")


def record(
    engine: Engine,
    owner: str,
    now: dt.datetime,
    sent: tuple[int, int] | None = None,
    delivering: int | None = None,
) -> bool:
    """One commit per email: the previous email's delivery (``(row id, subscription id)``, accepted by
    SMTP a moment ago) and the next email's ``delivering_since`` marker, set just before its SMTP
    transaction. Returns False if the next row is no longer ours (its lease passed to another sender).
    """
    with engine.begin() as conn:
        if sent is not None:
            row_id, subscription_id = sent
            done = conn.execute(
                update(OUTBOX)
                .where(*_mine(row_id, owner))
                .values(
                    state="sent",
                    sent_at=now,
                    attempts=OUTBOX.c.attempts + 1,
                    lease_until=None,
                    delivering_since=None,
                )
            ).rowcount
            if not done:
                log.error("digest row %s was delivered after its lease had passed to another sender", row_id)
            conn.execute(
                update(SUBS)
                .where(SUBS.c.id == subscription_id, SUBS.c.hard_failures > 0)
                .values(hard_failures=0)
            )
        if delivering is None:
            return True
        return bool(
            conn.execute(
                update(OUTBOX).where(*_mine(delivering, owner)).values(delivering_since=now)
            ).rowcount
        )


def mark_retry(
    engine: Engine,
    row_id: int,
    owner: str,
    attempts: int,
    error: str,
    now: dt.datetime,
    max_attempts: int,
    base_seconds: float,
) -> str:
    """A temporary failure on try number ``attempts``: back off exponentially, or give up at the maximum.

    Returns the row's new state, ``queued`` or ``failed``.
    """
    if attempts >= max_attempts:
        with engine.begin() as conn:
            _fail(conn, row_id, owner, f"gave up after {attempts} tries: {error}", attempts)
        return "failed"
    delay = dt.timedelta(seconds=base_seconds * 2 ** (attempts - 1))
    with engine.begin() as conn:
        conn.execute(
            update(OUTBOX)
            .where(*_mine(row_id, owner))
            .values(
                state="queued",
                attempts=attempts,
                next_attempt_at=now + delay,
                last_error=error[:2000],
                claimed_by=None,
                lease_until=None,
                delivering_since=None,
            )
        )
    return "queued"


def _fail(conn: Connection, row_id: int, owner: str, error: str, attempts: int) -> None:
    updated = conn.execute(
        update(OUTBOX)
        .where(*_mine(row_id, owner))
        .values(
            state="failed",
            attempts=attempts,
            last_error=error[:2000],
            claimed_by=None,
            lease_until=None,
            delivering_since=None,
        )
    ).rowcount
    if updated:
        # The papers were never delivered: a later digest may carry them.
        conn.execute(delete(SENT).where(SENT.c.outbox_id == row_id))


def mark_failed(
    engine: Engine,
    row_id: int,
    subscription_id: int,
    owner: str,
    attempts: int,
    error: str,
    hard_fail_limit: int,
) -> bool:
    """A permanent (5xx) failure: record it, count it against the address, pause it at the limit.

    Returns True when this failure paused the subscription.
    """
    with engine.begin() as conn:
        _fail(conn, row_id, owner, error, attempts)
        conn.execute(
            update(SUBS).where(SUBS.c.id == subscription_id).values(hard_failures=SUBS.c.hard_failures + 1)
        )
        paused = conn.execute(
            update(SUBS)
            .where(
                SUBS.c.id == subscription_id,
                SUBS.c.hard_failures >= hard_fail_limit,
                SUBS.c.status == "active",
            )
            .values(
                status="paused",
                paused_reason=f"{hard_fail_limit} permanent delivery failures in a row; last: {error[:300]}",
            )
        ).rowcount
        return bool(paused)


def cancel(engine: Engine, row_id: int, owner: str, attempts: int, reason: str) -> None:
    """The subscriber left (or paused) between planning and sending: never send, release the papers."""
    with engine.begin() as conn:
        _fail(conn, row_id, owner, reason, attempts)


def release(engine: Engine, row_ids: Sequence[int], owner: str) -> None:
    """Hand claimed rows we will not try now back to the queue, untouched."""
    if not row_ids:
        return
    with engine.begin() as conn:
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(list(row_ids)), OUTBOX.c.claimed_by == owner, OUTBOX.c.state == "sending")
            .values(state="queued", claimed_by=None, lease_until=None)
        )


@dataclass(frozen=True)
class OutboxCounts:
    queued: int
    sending: int
    sent: int
    failed: int


def counts(engine: Engine, period_key: str) -> OutboxCounts:
    with engine.connect() as conn:
        found: dict[str, int] = dict(
            conn.execute(  # type: ignore[arg-type]
                select(OUTBOX.c.state, func.count())
                .where(OUTBOX.c.period_key == period_key)
                .group_by(OUTBOX.c.state)
            ).all()
        )
    return OutboxCounts(*(int(found.get(state, 0)) for state in ("queued", "sending", "sent", "failed")))
