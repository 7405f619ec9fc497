"""Subscriptions: double opt-in, signed links, imports of confirmed lists."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.config import Settings
from paperwire.digest import subscriptions, tokens
from paperwire.digest.models import Subscription
from paperwire.digest.subscriptions import SubscriptionError, Topics
from tests.digest.conftest import Sink


def test_subscribe_sends_only_a_confirmation_then_confirm_activates(
    engine: Engine, settings: Settings, smtp: Sink
) -> None:
    with Session(engine) as session, session.begin():
        outcome = subscriptions.subscribe(
            session, " Reader@Example.ORG ", "weekly", Topics(queries=("diffusion",))
        )
        assert outcome.confirmation_needed
        subscriptions.send_confirmation(settings, outcome.subscription)
        # The form sent again right away: no second email.
        again = subscriptions.subscribe(
            session, "reader@example.org", "weekly", Topics(queries=("diffusion",))
        )
        assert not again.confirmation_needed
    [message] = smtp.to("reader@example.org")
    assert message["Subject"] == "Confirm your paperwire digest subscription"
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    token = re.search(r"https://paperwire\.test/digest/confirm/(\S+)", text).group(1)  # type: ignore[union-attr]
    with Session(engine) as session, session.begin():
        sub = subscriptions.find(session, "reader@example.org")
        assert sub is not None and sub.status == "pending"
        assert (sub.cadence, sub.queries) == ("weekly", ["diffusion"])
        subscriptions.confirm(session, settings, token)
    with Session(engine) as session, session.begin():
        sub = subscriptions.find(session, "reader@example.org")
        assert sub is not None and sub.status == "active" and sub.confirmed_at is not None
        # Clicking twice is fine; a link signed with another key is not.
        subscriptions.confirm(session, settings, token)
        forged = settings.model_copy(update={"secret_key": "another-secret"})
        with pytest.raises(tokens.TokenError, match="not valid"):
            subscriptions.confirm(session, forged, token)
        # An unsubscribe token cannot be used as a confirmation (one salt per purpose).
        with pytest.raises(tokens.TokenError):
            subscriptions.confirm(session, settings, tokens.unsubscribe_token(settings, sub))


def test_a_replaced_or_expired_confirmation_link_is_refused(
    sqlite_engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(sqlite_engine) as session, session.begin():
        sub = subscriptions.subscribe(session, "late@example.org").subscription
        old = tokens.confirm_token(settings, sub)
        sub.confirm_sent_at = None
        subscriptions.subscribe(session, "late@example.org")  # a new link replaces the first
        with pytest.raises(tokens.TokenError, match="replaced"):
            subscriptions.confirm(session, settings, old)
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 4 * 86400)
        stale = tokens.confirm_token(settings, sub)
        monkeypatch.undo()
        with pytest.raises(tokens.TokenError, match="expired"):
            subscriptions.confirm(session, settings, stale)
        assert sub.status == "pending"


def test_bad_input_is_refused_with_a_clear_message(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session:
        with pytest.raises(SubscriptionError, match="not a valid email"):
            subscriptions.subscribe(session, "not-an-email")
        with pytest.raises(SubscriptionError, match="daily or weekly"):
            subscriptions.subscribe(session, "a@example.org", "hourly")
        with pytest.raises(SubscriptionError, match="at least one"):
            subscriptions.subscribe(session, "a@example.org", "daily", Topics(trending=False))


def test_a_verified_account_subscribes_without_a_confirmation(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        user = User(email="member@example.org", email_verified=True, role="user", disabled=False)
        session.add(user)
        session.flush()
        outcome = subscriptions.subscribe(session, user.email, "daily", user=user)
        assert not outcome.confirmation_needed
        assert (outcome.subscription.status, outcome.subscription.user_id) == ("active", user.id)
        other = subscriptions.subscribe(session, "someone-else@example.org", "daily", user=user)
        assert other.confirmation_needed and other.subscription.status == "pending"


def test_import_of_a_confirmed_list(engine: Engine, smtp: Sink, tmp_path: Path) -> None:
    csv_text = (
        "email,cadence,query\n"
        "one@example.org,daily,diffusion\n"
        'ONE@example.org,daily,"""world model"" -survey"\n'
        "two@example.org,weekly,\n"
        "three@example.org,,agents\n"
    )
    with Session(engine) as session, session.begin():
        report = subscriptions.import_confirmed(session, csv_text)
    assert (report.created, report.updated, report.errors) == (3, 0, [])
    with Session(engine) as session, session.begin():
        subs = {s.email: s for s in session.execute(select(Subscription)).scalars()}
        assert {s.status for s in subs.values()} == {"active"}
        assert subs["one@example.org"].queries == ["diffusion", '"world model" -survey']
        assert (subs["two@example.org"].cadence, subs["three@example.org"].cadence) == ("weekly", "daily")
        subscriptions.unsubscribe_email(session, "two@example.org")
    # Re-importing changes nothing and never re-subscribes someone who left.
    with Session(engine) as session, session.begin():
        again = subscriptions.import_confirmed(session, csv_text)
        assert (again.created, again.updated, again.kept_unsubscribed) == (0, 2, 1)
        assert subscriptions.find(session, "two@example.org").status == "unsubscribed"  # type: ignore[union-attr]
        assert subscriptions.find(session, "one@example.org").queries == [
            "diffusion",
            '"world model" -survey',
        ]  # type: ignore[union-attr]
    assert smtp.count() == 0  # an import sends nothing


def test_import_reports_bad_rows_with_line_numbers(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session:
        report = subscriptions.import_confirmed(
            session, "ok@example.org,daily,x\nbroken,daily,\nz@example.org,hourly,\n"
        )
        assert report.created == 0
        assert report.errors == [
            "line 2: not a valid email address: 'broken'",
            "line 3: cadence must be daily or weekly, got 'hourly'",
        ]
        partial = subscriptions.import_confirmed(
            session, "ok@example.org,daily,x\nbroken,daily,\n", skip_invalid=True
        )
        assert partial.created == 1
