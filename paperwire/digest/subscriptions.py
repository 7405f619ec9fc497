"""Subscribing, confirming (double opt-in), unsubscribing, preferences, and importing a confirmed list.

Nothing but the confirmation email is ever sent to an address before its owner clicks the link:
``subscribe`` only creates a *pending* subscription, and the sender only looks at *active* ones.
Preferences of an active subscription change only through a signed manage link (or the account),
never through the public form, so nobody can edit someone else's digest by knowing the address.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.clock import utcnow
from paperwire.config import Settings
from paperwire.digest import tokens
from paperwire.digest.models import CADENCES, Subscription
from paperwire.digest.render import confirmation_message
from paperwire.mail.smtp import SmtpConfig, send

EMAIL = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
# A pending address gets at most one confirmation email per this interval, however often the form is sent.
CONFIRM_RESEND_INTERVAL = dt.timedelta(minutes=10)
MAX_TOPICS = 20
MAX_TOPIC_LENGTH = 300


class SubscriptionError(ValueError):
    """Bad input (address, cadence, topics) or a link that no longer applies; the message is for the user."""


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 320 or not EMAIL.match(email):
        raise SubscriptionError(f"not a valid email address: {raw.strip()!r}")
    return email


def normalize_cadence(raw: str | None) -> str:
    cadence = (raw or "daily").strip().lower()
    if cadence not in CADENCES:
        raise SubscriptionError(f"cadence must be daily or weekly, got {raw!r}")
    return cadence


def _clean_list(values: Iterable[str], what: str) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        text = " ".join(value.split())
        if not text:
            continue
        if len(text) > MAX_TOPIC_LENGTH:
            raise SubscriptionError(f"{what} longer than {MAX_TOPIC_LENGTH} characters: {text[:40]!r}...")
        seen.setdefault(text, None)
    if len(seen) > MAX_TOPICS:
        raise SubscriptionError(f"at most {MAX_TOPICS} {what}s per subscription")
    return list(seen)


@dataclass(frozen=True)
class Topics:
    """What goes into a digest; an empty selection is refused because it would never send anything."""

    trending: bool = True
    queries: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    recommendations: bool = False

    def cleaned(self) -> Topics:
        topics = Topics(
            trending=self.trending,
            queries=tuple(_clean_list(self.queries, "saved search")),
            authors=tuple(_clean_list(self.authors, "author")),
            categories=tuple(_clean_list(self.categories, "category")),
            recommendations=self.recommendations,
        )
        if not (
            topics.trending or topics.queries or topics.authors or topics.categories or topics.recommendations
        ):
            raise SubscriptionError(
                "choose at least one thing to receive: trending, a search, an author or a category"
            )
        return topics

    def apply(self, sub: Subscription) -> None:
        sub.include_trending = self.trending
        sub.queries = list(self.queries)
        sub.authors = list(self.authors)
        sub.categories = list(self.categories)
        sub.include_recommendations = self.recommendations


@dataclass
class SubscribeOutcome:
    subscription: Subscription
    # True when a confirmation email should go out now (False: already active, or one was sent recently).
    confirmation_needed: bool


def find(session: Session, email: str) -> Subscription | None:
    return session.execute(select(Subscription).where(Subscription.email == email)).scalar_one_or_none()


def every_subscription(session: Session) -> list[Subscription]:
    """All of them, oldest first (the operator's listing)."""
    return list(session.execute(select(Subscription).order_by(Subscription.id)).scalars())


def subscribe(
    session: Session,
    email: str,
    cadence: str | None = "daily",
    topics: Topics = Topics(),
    user: User | None = None,
    now: dt.datetime | None = None,
) -> SubscribeOutcome:
    """Start a subscription: pending until confirmed, or active at once for a verified account's own address."""
    now = now or utcnow()
    address = normalize_email(email)
    chosen = topics.cleaned()
    how_often = normalize_cadence(cadence)
    verified = user is not None and user.email_verified and user.email.lower() == address
    sub = find(session, address)
    if sub is not None and sub.status in ("active", "paused") and not (verified and sub.status == "paused"):
        if verified:
            sub.cadence = how_often
            chosen.apply(sub)
            sub.user_id = user.id if user else sub.user_id
        return SubscribeOutcome(sub, confirmation_needed=False)
    if sub is None:
        sub = Subscription(email=address, source="account" if user else "form", hard_failures=0)
        session.add(sub)
    sub.cadence = how_often
    chosen.apply(sub)
    if user is not None and user.email.lower() == address:
        sub.user_id = user.id
    if verified:
        _activate(sub, now)
        session.flush()
        return SubscribeOutcome(sub, confirmation_needed=False)
    recently = sub.confirm_sent_at is not None and now - sub.confirm_sent_at < CONFIRM_RESEND_INTERVAL
    if sub.status == "pending" and sub.confirm_nonce and recently:
        session.flush()
        return SubscribeOutcome(sub, confirmation_needed=False)
    sub.status = "pending"
    sub.confirm_nonce = secrets.token_urlsafe(16)
    sub.confirm_sent_at = now
    session.flush()
    return SubscribeOutcome(sub, confirmation_needed=True)


def _activate(sub: Subscription, now: dt.datetime) -> None:
    sub.status = "active"
    sub.confirmed_at = now
    sub.confirm_nonce = None
    sub.unsubscribed_at = None
    sub.hard_failures = 0
    sub.paused_reason = None


def send_confirmation(settings: Settings, sub: Subscription) -> None:
    """The one email a pending address may get: the link that activates it (raises on SMTP failure)."""
    send(
        SmtpConfig.from_url(settings.smtp_url),
        confirmation_message(settings, sub, tokens.confirm_url(settings, sub)),
    )


def _by_token(
    session: Session, settings: Settings, purpose: str, token: str
) -> tuple[Subscription, dict[str, object]]:
    payload = tokens.read_token(settings, purpose, token)
    sub = session.get(Subscription, payload["s"])
    if sub is None:
        raise tokens.TokenError("this subscription no longer exists")
    return sub, payload


def confirm(session: Session, settings: Settings, token: str, now: dt.datetime | None = None) -> Subscription:
    """Activate the subscription a confirmation link names; clicking the same link again is harmless."""
    sub, payload = _by_token(session, settings, tokens.CONFIRM, token)
    if sub.status == "active" and sub.confirm_nonce is None:
        return sub
    if sub.confirm_nonce is None or payload.get("n") != sub.confirm_nonce:
        raise tokens.TokenError(
            "this confirmation link has been replaced by a newer one; use the latest email"
        )
    _activate(sub, now or utcnow())
    return sub


def unsubscribe(
    session: Session, settings: Settings, token: str, now: dt.datetime | None = None
) -> Subscription:
    """Stop all digests for the subscription an unsubscribe link names (idempotent)."""
    sub, _ = _by_token(session, settings, tokens.UNSUBSCRIBE, token)
    _unsubscribe(sub, now or utcnow())
    return sub


def _unsubscribe(sub: Subscription, now: dt.datetime) -> None:
    if sub.status != "unsubscribed":
        sub.status = "unsubscribed"
        sub.unsubscribed_at = now
    sub.confirm_nonce = None


def unsubscribe_email(session: Session, email: str, now: dt.datetime | None = None) -> Subscription:
    """For operators and account owners: unsubscribe an address directly."""
    sub = find(session, normalize_email(email))
    if sub is None:
        raise SubscriptionError(f"no subscription for {email.strip()}")
    _unsubscribe(sub, now or utcnow())
    return sub


def from_manage_token(session: Session, settings: Settings, token: str) -> Subscription:
    try:
        sub, _ = _by_token(session, settings, tokens.MANAGE, token)
    except tokens.TokenError as exc:
        raise tokens.TokenError(f"{exc}; use the link in your latest digest email") from exc
    return sub


def update_preferences(sub: Subscription, cadence: str, topics: Topics, paused: bool) -> Subscription:
    """Change what and how often; pausing keeps the subscription, resuming re-activates a confirmed one."""
    sub.cadence = normalize_cadence(cadence)
    topics.cleaned().apply(sub)
    if sub.status in ("active", "paused"):
        sub.status = "paused" if paused else "active"
        if not paused:
            sub.hard_failures = 0
            sub.paused_reason = None
        elif sub.paused_reason is None:
            sub.paused_reason = "paused by subscriber"
    return sub


def resubscribe(sub: Subscription, now: dt.datetime | None = None) -> Subscription:
    """Undo an unsubscribe from a signed manage link (the link proves the address is theirs)."""
    if sub.status == "unsubscribed":
        _activate(sub, now or utcnow())
    return sub


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    # Addresses that unsubscribed earlier: an import must never sign them up again.
    kept_unsubscribed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Row:
    email: str
    cadence: str
    queries: list[str]


def parse_import(text: str) -> tuple[dict[str, _Row], list[str]]:
    """Rows ``email,cadence,query`` (header optional); one address may repeat to add more searches."""
    rows: dict[str, _Row] = {}
    errors: list[str] = []
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not fields or not "".join(fields).strip():
            continue
        if number == 1 and fields[0].strip().lower() == "email":
            continue
        if len(fields) > 3:
            errors.append(
                f"line {number}: expected at most 3 columns (email,cadence,query), got {len(fields)}"
            )
            continue
        email, cadence, query = ([*fields, "", ""])[:3]
        try:
            address = normalize_email(email)
            how_often = normalize_cadence(cadence or None)
        except SubscriptionError as exc:
            errors.append(f"line {number}: {exc}")
            continue
        row = rows.setdefault(address, _Row(address, how_often, []))
        row.cadence = how_often
        if query.strip() and query.strip() not in row.queries:
            row.queries.append(" ".join(query.split()))
    return rows, errors


def import_confirmed(
    session: Session, text: str, skip_invalid: bool = False, now: dt.datetime | None = None
) -> ImportReport:
    """Import an already-confirmed list (moving from another service): active at once, no email sent."""
    now = now or utcnow()
    rows, errors = parse_import(text)
    report = ImportReport(errors=errors)
    if errors and not skip_invalid:
        return report
    existing: dict[str, Subscription] = {}
    addresses = list(rows)
    for start in range(0, len(addresses), 500):
        chunk = addresses[start : start + 500]
        for found in session.execute(select(Subscription).where(Subscription.email.in_(chunk))).scalars():
            existing[found.email] = found
    for row in rows.values():
        sub = existing.get(row.email)
        if sub is not None and sub.status == "unsubscribed":
            report.kept_unsubscribed += 1
            continue
        if sub is None:
            sub = Subscription(
                email=row.email,
                cadence=row.cadence,
                include_trending=True,
                include_recommendations=False,
                queries=[],
                authors=[],
                categories=[],
                source="import",
                hard_failures=0,
            )
            session.add(sub)
            _activate(sub, now)
            report.created += 1
        else:
            report.updated += 1
            if sub.status == "pending":
                _activate(sub, now)
        sub.cadence = row.cadence
        sub.queries = _clean_list([*(sub.queries or []), *row.queries], "saved search")
    session.flush()
    return report
