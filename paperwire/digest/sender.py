"""Plan a period's digests and deliver the outbox over SMTP: what `paperwire digest send` runs.

``send_digests`` = ``plan`` (compose for every active subscription of the cadence that has no row for
the period yet, enqueue the non-empty ones) + ``deliver`` (claim, render, send, record: see
``outbox`` for why each subscriber gets each period's digest once). Running it again, or twice at the
same time, is safe: it only sends what is still due, which is also how retries after temporary
failures happen.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperwire.claims import Claim
from paperwire.claims.store import claims_for
from paperwire.clock import utcnow
from paperwire.config import Settings
from paperwire.daily.daily import best_upvotes
from paperwire.db.models import Paper
from paperwire.db.papers import by_ids
from paperwire.db.session import make_sessionmaker
from paperwire.digest import outbox
from paperwire.digest.compose import Composition, Period, compose
from paperwire.digest.models import OutboxEmail, Subscription
from paperwire.digest.render import DigestRenderer, OutgoingMail, digest_message_id, sections_for
from paperwire.digest.tokens import Links
from paperwire.mail.smtp import Connection, PermanentMailError, SmtpConfig, TemporaryMailError

log = logging.getLogger(__name__)
CLAIM_BATCH = 25
Clock = Callable[[], dt.datetime]


def sender_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class PlanReport:
    due: int = 0
    planned: int = 0
    empty: int = 0
    already: int = 0


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    cancelled: int = 0
    paused: int = 0
    resent_after_crash: int = 0
    smtp_unreachable: bool = False
    errors: list[str] = field(default_factory=list)


def active_subscriptions(session: Session, cadence: str) -> list[Subscription]:
    return list(
        session.execute(
            select(Subscription)
            .where(Subscription.status == "active", Subscription.cadence == cadence)
            .order_by(Subscription.id)
        ).scalars()
    )


def plan(engine: Engine, settings: Settings, period: Period, now: dt.datetime) -> PlanReport:
    """Compose and enqueue the period's digests for subscriptions that have none yet."""
    report = PlanReport()
    planned = outbox.planned_subscriptions(engine, period.key)
    with make_sessionmaker(engine)() as session:
        subs = active_subscriptions(session, period.cadence)
        report.due = len(subs)
        todo = [s for s in subs if s.id not in planned]
        report.already = report.due - len(todo)
        compositions = compose(session, todo, period, settings) if todo else []
    report.empty = sum(1 for c in compositions if not c.picks)
    ids = {
        c.subscription_id: digest_message_id(settings, period.key, c.subscription_id) for c in compositions
    }
    report.planned = outbox.enqueue(engine, period, compositions, ids, now)
    return report


@dataclass
class _Batch:
    rows: dict[int, OutboxEmail]
    subs: dict[int, Subscription]
    papers: dict[int, Paper]
    upvotes: dict[int, int]
    claims: dict[int, list[Claim]]


def _load(engine: Engine, row_ids: Sequence[int]) -> _Batch:
    with make_sessionmaker(engine)() as session:
        rows = {
            r.id: r for r in session.execute(select(OutboxEmail).where(OutboxEmail.id.in_(row_ids))).scalars()
        }
        subs = {
            s.id: s
            for s in session.execute(
                select(Subscription).where(Subscription.id.in_({r.subscription_id for r in rows.values()}))
            ).scalars()
        }
        paper_ids = {int(item["paper_id"]) for r in rows.values() for item in r.items}
        papers = {p.id: p for p in by_ids(session, list(paper_ids))}
        upvotes = best_upvotes(session, paper_ids)
        claims = claims_for(session, list(paper_ids))
        session.expunge_all()
    return _Batch(rows, subs, papers, upvotes, claims)


def deliver(
    engine: Engine,
    settings: Settings,
    period_key: str | None = None,
    clock: Clock = utcnow,
    owner: str | None = None,
    workers: int | None = None,
) -> DeliveryReport:
    """Send every due outbox row (of one period, or all), in ``workers`` threads with a connection each.

    Each worker claims a batch, sends each email and records it at once. Threads overlap the waits on
    the SMTP server (its replies, not our CPU, dominate); they share one renderer and its cache.
    """
    owner = owner or sender_name()
    timeout = SmtpConfig.from_url(settings.smtp_url).timeout
    if settings.digest_lease_seconds <= 2 * timeout:
        raise ValueError(
            f"PAPERWIRE_DIGEST_LEASE_SECONDS ({settings.digest_lease_seconds:g}) must be more than twice the"
            f" SMTP timeout ({timeout:g} s): a sender only starts an email while that much of its lease is left"
        )
    report = DeliveryReport()
    recovered = outbox.recover_expired(engine, clock(), period_key)
    if recovered:
        report.resent_after_crash += len(recovered)
        log.warning("digest rows %s were interrupted mid-delivery; sending them again", recovered)
    renderer = DigestRenderer(settings)
    unreachable = threading.Event()
    count = max(1, workers or settings.digest_smtp_connections)
    deliveries = [
        Delivery(
            engine,
            settings,
            f"{owner}/{i}" if count > 1 else owner,
            clock,
            DeliveryReport(),
            renderer,
            period_key=period_key,
            unreachable=unreachable,
        )
        for i in range(count)
    ]
    if count == 1:
        deliveries[0].work()
    else:
        threads = [
            threading.Thread(target=delivery.work, name=f"digest-sender-{i}")
            for i, delivery in enumerate(deliveries)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for part in (delivery.report for delivery in deliveries):
        report.sent += part.sent
        report.failed += part.failed
        report.retrying += part.retrying
        report.cancelled += part.cancelled
        report.paused += part.paused
        report.errors.extend(part.errors)
    report.smtp_unreachable = unreachable.is_set()
    return report


@dataclass
class Delivery:
    """One sender's share of a run (a thread, with its own SMTP connection): what claiming, rendering,
    sending and recording each email needs, and the report it adds to."""

    engine: Engine
    settings: Settings
    owner: str
    clock: Clock
    report: DeliveryReport
    renderer: DigestRenderer
    period_key: str | None = None  # None: every period's due rows
    # Shared by all of a run's senders: once one finds the server gone, none starts another email (a
    # sender that checked it alone would claim and fail the rows another had just released).
    unreachable: threading.Event = field(default_factory=threading.Event)

    def work(self) -> None:
        """Claim, render and send batches until nothing is due; see ``outbox`` for the exactly-once rules."""
        engine, owner, clock = self.engine, self.owner, self.clock
        config = SmtpConfig.from_url(self.settings.smtp_url)
        margin = dt.timedelta(seconds=2 * config.timeout)
        lease = dt.timedelta(seconds=self.settings.digest_lease_seconds)
        smtp = Connection(config)
        try:
            while not self.unreachable.is_set():
                now = clock()
                lease_until = now + lease
                claimed = outbox.claim(engine, owner, now, lease_until, CLAIM_BATCH, self.period_key)
                if not claimed:
                    break
                ready = self._prepare(_load(engine, claimed))
                # The previous email's "sent" is committed together with the next one's marker, right
                # after SMTP accepted it: every message is rendered before, so nothing else happens between.
                done: tuple[int, int] | None = None
                for position, (row, sub, mail) in enumerate(ready):
                    if self.unreachable.is_set() or clock() + margin >= lease_until:
                        outbox.release(engine, [r.id for r, _, _ in ready[position:]], owner)
                        break
                    ours = outbox.record(engine, owner, clock(), sent=done, delivering=row.id)
                    done = None
                    if not ours:
                        log.error("digest row %s is no longer claimed by this sender; leaving it", row.id)
                        continue
                    if self._send(smtp, row, sub, mail):
                        done = (row.id, sub.id)
                if done is not None:
                    outbox.record(engine, owner, clock(), sent=done)
        finally:
            smtp.close()

    def _prepare(self, batch: _Batch) -> list[tuple[OutboxEmail, Subscription, OutgoingMail]]:
        """Render a claimed batch; rows whose subscriber left or paused since planning are cancelled."""
        ready = []
        for row_id, row in sorted(batch.rows.items()):
            sub = batch.subs[row.subscription_id]
            if sub.status != "active":
                outbox.cancel(
                    self.engine, row_id, self.owner, row.attempts, f"not sent: subscription is {sub.status}"
                )
                self.report.cancelled += 1
                continue
            mail = self.renderer.render(
                sub,
                row.period_key.split(":", 1)[0],
                row.period_end,
                sections_for(
                    row.items, batch.papers, batch.upvotes, self.settings, self.renderer.views, batch.claims
                ),
                row.message_id,
                Links.for_subscription(self.settings, sub),
                self.clock(),
            )
            ready.append((row, sub, mail))
        return ready

    def _send(self, smtp: Connection, row: OutboxEmail, sub: Subscription, mail: OutgoingMail) -> bool:
        """One SMTP transaction; failures are recorded here, success by the caller's next commit."""
        settings, report = self.settings, self.report
        attempts = row.attempts + 1
        try:
            smtp.send_bytes(mail.sender, mail.recipient, mail.data)
        except TemporaryMailError as exc:
            state = outbox.mark_retry(
                self.engine,
                row.id,
                self.owner,
                attempts,
                str(exc),
                self.clock(),
                settings.digest_max_attempts,
                settings.digest_retry_base_seconds,
            )
            if state == "failed":
                report.failed += 1
            else:
                report.retrying += 1
            report.errors.append(f"{sub.email}: {exc}")
            # No reply code: the server is unreachable, the rest of the run would fail the same way.
            if exc.code is None or exc.code == 421:
                self.unreachable.set()
            return False
        except PermanentMailError as exc:
            report.failed += 1
            report.errors.append(f"{sub.email}: {exc}")
            if outbox.mark_failed(
                self.engine, row.id, sub.id, self.owner, attempts, str(exc), settings.digest_hard_fail_limit
            ):
                report.paused += 1
            return False
        report.sent += 1
        return True


@dataclass
class SendSummary:
    period: str
    date: str
    due: int
    sent: int
    skipped: int
    failed: int
    retrying: int
    empty: int
    paused: int
    resent_after_crash: int
    dry_run: bool
    errors: list[str]
    would_send: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def send_digests(
    engine: Engine,
    settings: Settings,
    cadence: str,
    day: dt.date,
    dry_run: bool = False,
    clock: Clock = utcnow,
) -> SendSummary:
    """Send the period's digests that are due; ``skipped`` = due but not sent by this run for any reason
    other than a failure (empty digest, already sent, sent by a concurrent run, unsubscribed meanwhile)."""
    period = Period.of(cadence, day)
    if dry_run:
        return _dry_run(engine, settings, period)
    planned = plan(engine, settings, period, clock())
    delivered = deliver(engine, settings, period.key, clock)
    return SendSummary(
        period=period.key,
        date=day.isoformat(),
        due=planned.due,
        sent=delivered.sent,
        skipped=max(planned.due - delivered.sent - delivered.failed - delivered.retrying, 0),
        failed=delivered.failed,
        retrying=delivered.retrying,
        empty=planned.empty,
        paused=delivered.paused,
        resent_after_crash=delivered.resent_after_crash,
        dry_run=False,
        errors=delivered.errors[:20],
    )


def _dry_run(engine: Engine, settings: Settings, period: Period) -> SendSummary:
    """What a real run would send now, without writing or sending anything."""
    planned = outbox.planned_subscriptions(engine, period.key)
    with make_sessionmaker(engine)() as session:
        subs = active_subscriptions(session, period.cadence)
        todo = [s for s in subs if s.id not in planned]
        compositions: list[Composition] = compose(session, todo, period, settings) if todo else []
    would = sum(1 for c in compositions if c.picks) + sum(1 for s in planned.values() if s == "queued")
    empty = sum(1 for c in compositions if not c.picks)
    return SendSummary(
        period=period.key,
        date=period.day.isoformat(),
        due=len(subs),
        sent=0,
        skipped=len(subs) - would,
        failed=0,
        retrying=0,
        empty=empty,
        paused=0,
        resent_after_crash=0,
        dry_run=True,
        errors=[],
        would_send=would,
    )


def preview(
    session: Session, settings: Settings, sub: Subscription, period: Period, now: dt.datetime
) -> tuple[EmailMessage, int]:
    """The digest ``sub`` would get for ``period`` now, and its paper count; nothing is written."""
    [composition] = compose(session, [sub], period, settings)
    ids = [pick.paper_id for pick in composition.picks]
    papers = {p.id: p for p in by_ids(session, ids)}
    upvotes = best_upvotes(session, ids)
    message = DigestRenderer(settings).render(
        sub,
        period.cadence,
        period.day,
        sections_for(
            [pick.as_dict() for pick in composition.picks],
            papers,
            upvotes,
            settings,
            claims=claims_for(session, ids),
        ),
        digest_message_id(settings, period.key, sub.id),
        Links.for_subscription(settings, sub),
        now,
    )
    return message.parsed(), len(composition.picks)
