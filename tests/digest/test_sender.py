"""Sending through a real SMTP server: once per period, retries, bounces, never the same paper twice."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.digest import outbox, subscriptions
from paperwire.digest.compose import Period
from paperwire.digest.models import OutboxEmail, SentPaper, Subscription
from paperwire.digest.outbox import INTERRUPTED
from paperwire.digest.sender import deliver, plan, preview, send_digests
from paperwire.mail.smtp import SmtpConfig
from paperwire.mail.smtp import send as send_message
from tests.digest.conftest import Sink, make_settings

PAPER_LINK = re.compile(r"https://paperwire\.test/papers/(\S+)")
DAYS = [dt.date(2026, 6, d) for d in (15, 16, 17, 18, 19)]


def add_subscribers(engine: Engine, csv_text: str) -> None:
    with Session(engine) as session, session.begin():
        report = subscriptions.import_confirmed(session, csv_text)
        assert not report.errors


def papers_in(message: object) -> list[str]:
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    return PAPER_LINK.findall(text)


def test_each_period_is_sent_once_and_never_repeats_a_paper(
    sample_engine: Engine, settings: Settings, smtp: Sink
) -> None:
    add_subscribers(
        sample_engine, "a@example.org,daily,\nb@example.org,daily,language model\nc@example.org,weekly,\n"
    )
    first = send_digests(sample_engine, settings, "daily", DAYS[0])
    assert (first.due, first.sent, first.failed) == (2, 2, 0)
    again = send_digests(sample_engine, settings, "daily", DAYS[0])
    assert (again.sent, again.skipped) == (0, 2)
    for day in DAYS[1:]:
        send_digests(sample_engine, settings, "daily", day)
    inbox = smtp.by_recipient()
    assert "c@example.org" not in inbox  # weekly: not due in a daily run
    for address in ("a@example.org", "b@example.org"):
        messages = inbox[address]
        assert len(messages) == len(DAYS)
        assert len({m["Message-ID"] for m in messages}) == len(DAYS)
        seen = [paper for m in messages for paper in papers_in(m)]
        assert seen, "the digests carried no papers"
        assert len(seen) == len(set(seen)), "a paper reached the same subscriber twice"
    with Session(sample_engine) as session:
        sub_id = session.execute(
            select(Subscription.id).where(Subscription.email == "b@example.org")
        ).scalar_one()
        recorded = session.execute(
            select(func.count()).where(SentPaper.subscription_id == sub_id)
        ).scalar_one()
    assert recorded == sum(len(papers_in(m)) for m in inbox["b@example.org"])


def test_search_results_match_the_saved_query(sample_engine: Engine, settings: Settings, smtp: Sink) -> None:
    add_subscribers(sample_engine, 'q@example.org,daily,"""language model"" -vision"\n')
    with Session(sample_engine) as session, session.begin():
        session.execute(select(Subscription)).scalar_one().include_trending = False
    summary = send_digests(sample_engine, settings, "daily", DAYS[1])
    assert summary.sent == 1
    [message] = smtp.to("q@example.org")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert 'matched: "language model" -vision' in text
    assert "== Trending ==" not in text


def test_an_empty_digest_is_not_sent(sample_engine: Engine, settings: Settings, smtp: Sink) -> None:
    add_subscribers(sample_engine, "nothing@example.org,daily,zzqqxxy unmatched\n")
    with Session(sample_engine) as session, session.begin():
        session.execute(select(Subscription)).scalar_one().include_trending = False
    summary = send_digests(sample_engine, settings, "daily", DAYS[0])
    assert (summary.due, summary.sent, summary.empty, summary.skipped) == (1, 0, 1, 1)
    assert smtp.count() == 0


def test_a_temporary_failure_is_retried_with_backoff(
    sample_engine: Engine, settings: Settings, smtp: Sink
) -> None:
    add_subscribers(sample_engine, "retry@example.org,daily,\n")
    smtp.fail_next = ["451 4.3.0 Temporary local problem, try later"]
    t0 = dt.datetime(2026, 6, 15, 7, 0)
    plan(sample_engine, settings, Period.of("daily", DAYS[0]), t0)
    first = deliver(sample_engine, settings, clock=lambda: t0)
    assert (first.sent, first.retrying) == (0, 1)
    too_soon = deliver(sample_engine, settings, clock=lambda: t0 + dt.timedelta(seconds=30))
    assert too_soon.sent == 0
    later = deliver(sample_engine, settings, clock=lambda: t0 + dt.timedelta(seconds=61))
    assert later.sent == 1
    assert len(smtp.to("retry@example.org")) == 1
    with Session(sample_engine) as session:
        row = session.execute(select(OutboxEmail)).scalar_one()
    assert (row.state, row.attempts) == ("sent", 2)


def test_an_unreachable_server_leaves_everything_queued(sample_engine: Engine, tmp_path, smtp: Sink) -> None:  # type: ignore[no-untyped-def]
    add_subscribers(sample_engine, "x@example.org,daily,\ny@example.org,daily,\n")
    settings = make_settings(tmp_path, smtp, smtp_url="smtp://127.0.0.1:9?timeout=2")
    summary = send_digests(sample_engine, settings, "daily", DAYS[0])
    assert (summary.sent, summary.retrying, summary.failed) == (0, 1, 0)
    with Session(sample_engine) as session:
        states = session.execute(select(OutboxEmail.state)).scalars().all()
    assert sorted(states) == ["queued", "queued"]


def test_a_closing_server_stops_every_connection_and_the_next_run_sends_the_rest_once(
    sample_engine: Engine,
    tmp_path,
    smtp: Sink,  # type: ignore[no-untyped-def]
) -> None:
    addresses = [f"reader{i}@example.org" for i in range(40)]
    add_subscribers(sample_engine, "".join(f"{a},daily,\n" for a in addresses))
    settings = make_settings(tmp_path, smtp, digest_smtp_connections=4)
    smtp.rcpt_delay = 0.02
    smtp.fail_next = ["421 4.3.2 Service shutting down"]
    t0 = dt.datetime(2026, 6, 15, 7, 0)
    plan(sample_engine, settings, Period.of("daily", DAYS[0]), t0)
    first = deliver(sample_engine, settings, clock=lambda: t0)
    assert first.smtp_unreachable and first.retrying == 1
    # Only the emails already on their way in other connections go out; a worker with its own notion
    # of "unreachable" would send the other 39.
    assert first.sent <= 8
    with Session(sample_engine) as session:
        states = session.execute(select(OutboxEmail.state)).scalars().all()
    assert states.count("queued") == 40 - first.sent
    second = deliver(sample_engine, settings, clock=lambda: t0 + dt.timedelta(hours=1))
    assert (second.sent, second.retrying) == (40 - first.sent, 0)
    assert {a: len(smtp.to(a)) for a in addresses} == dict.fromkeys(addresses, 1)


def test_permanent_failures_are_recorded_and_pause_the_address(
    sample_engine: Engine,
    tmp_path,
    smtp: Sink,  # type: ignore[no-untyped-def]
) -> None:
    settings = make_settings(tmp_path, smtp, digest_hard_fail_limit=2)
    add_subscribers(sample_engine, "bounce@example.org,daily,\nok@example.org,daily,\n")
    smtp.refuse["bounce@example.org"] = "550 5.1.1 <bounce@example.org>: Recipient address rejected"
    first = send_digests(sample_engine, settings, "daily", DAYS[0])
    assert (first.sent, first.failed, first.paused) == (1, 1, 0)
    second = send_digests(sample_engine, settings, "daily", DAYS[1])
    assert (second.sent, second.failed, second.paused) == (1, 1, 1)
    third = send_digests(sample_engine, settings, "daily", DAYS[2])
    assert (third.due, third.sent, third.failed) == (1, 1, 0)
    with Session(sample_engine) as session:
        sub = subscriptions.find(session, "bounce@example.org")
        assert sub is not None
        assert (sub.status, sub.hard_failures) == ("paused", 2)
        assert "550" in (sub.paused_reason or "")
        rows = (
            session.execute(select(OutboxEmail).where(OutboxEmail.subscription_id == sub.id)).scalars().all()
        )
        assert [r.state for r in rows] == ["failed", "failed"]
        assert all("550" in (r.last_error or "") for r in rows)
        # Undelivered papers are not counted as sent.
        assert (
            session.execute(select(func.count()).where(SentPaper.subscription_id == sub.id)).scalar_one() == 0
        )
    assert smtp.to("bounce@example.org") == []
    assert len(smtp.to("ok@example.org")) == 3


def test_an_unsubscribe_between_planning_and_sending_stops_the_email(
    sample_engine: Engine, settings: Settings, smtp: Sink
) -> None:
    add_subscribers(sample_engine, "gone@example.org,daily,\n")
    now = dt.datetime(2026, 6, 15, 7, 0)
    assert plan(sample_engine, settings, Period.of("daily", DAYS[0]), now).planned == 1
    with Session(sample_engine) as session, session.begin():
        subscriptions.unsubscribe_email(session, "gone@example.org")
    report = deliver(sample_engine, settings, clock=lambda: now)
    assert (report.sent, report.cancelled) == (0, 1)
    assert smtp.count() == 0


def test_an_account_can_get_its_library_recommendations(
    sample_engine: Engine, settings: Settings, smtp: Sink
) -> None:
    from paperwire.accounts.models import User
    from paperwire.library.tags import save

    with Session(sample_engine) as session, session.begin():
        user = User(email="lib@example.org", email_verified=True, role="user", disabled=False)
        session.add(user)
        session.flush()
        liked = session.execute(
            select(Paper.id, Paper.arxiv_id).where(Paper.title.ilike("%agent%")).order_by(Paper.id).limit(8)
        ).all()
        for paper_id, _ in liked:
            save(session, user.id, paper_id, ["agents"])
        sub = subscriptions.subscribe(
            session,
            user.email,
            "daily",
            subscriptions.Topics(trending=False, recommendations=True),
            user=user,
        ).subscription
        assert sub.status == "active"
    summary = send_digests(sample_engine, settings, "daily", DAYS[1])
    assert summary.sent == 1
    [message] = smtp.to("lib@example.org")
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "== Recommended for you ==" in text
    recommended = papers_in(message)
    assert recommended and not set(recommended) & {
        arxiv_id for _, arxiv_id in liked
    }  # saved: not recommended


def test_an_account_digest_covers_its_library_searches_and_follows(
    sample_engine: Engine, settings: Settings, smtp: Sink
) -> None:
    """A search saved (or an author followed) in the library is a topic of the account's digest too;
    a subscription without an account, with the same own topics, does not get them."""
    from paperwire.accounts.models import User
    from paperwire.library.saved import add_saved_search, follow

    own = subscriptions.Topics(trending=False, queries=("zzqqxxy unmatched",))
    with Session(sample_engine) as session, session.begin():
        user = User(email="saver@example.org", email_verified=True, role="user", disabled=False)
        session.add(user)
        session.flush()
        add_saved_search(session, user.id, "LMs", '"language model" -vision')
        author = session.execute(  # someone whose paper the saved search does not find
            select(Paper.authors)
            .where(
                Paper.published == DAYS[1],
                ~Paper.title.ilike("%language model%"),
                ~Paper.abstract.ilike("%language model%"),
            )
            .order_by(Paper.id)
            .limit(1)
        ).scalar_one()[0]
        follow(session, user.id, "author", author)
        for email, owner in (("saver@example.org", user), ("plain@example.org", None)):
            subscriptions.subscribe(session, email, "daily", own, user=owner).subscription.status = "active"
    summary = send_digests(sample_engine, settings, "daily", DAYS[1])
    assert (summary.sent, summary.empty) == (1, 1)  # the plain subscription's own search finds nothing
    assert smtp.to("plain@example.org") == []
    [mine] = smtp.to("saver@example.org")
    text = mine.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert 'matched: "language model" -vision' in text
    assert f"matched: {author}" in text


def test_the_crash_window_resends_with_the_same_message_id(
    sample_engine: Engine, settings: Settings, smtp: Sink
) -> None:
    """A sender that dies after SMTP accepted an email but before recording it (the documented window):
    the email is sent again with the same Message-ID and marked; a merely claimed one is sent once."""
    add_subscribers(sample_engine, "inflight@example.org,daily,\nclaimed@example.org,daily,\n")
    t0 = dt.datetime(2026, 6, 16, 7, 0)
    plan(sample_engine, settings, Period.of("daily", DAYS[1]), t0)
    lease = t0 + dt.timedelta(minutes=10)
    claimed = outbox.claim(sample_engine, "dead-sender", t0, lease, limit=10)
    assert len(claimed) == 2
    with Session(sample_engine) as session:
        sub = subscriptions.find(session, "inflight@example.org")
        assert sub is not None
        inflight = session.execute(
            select(OutboxEmail).where(OutboxEmail.subscription_id == sub.id)
        ).scalar_one()
        # What the dead sender got through: the SMTP server accepted this email, then the sender died.
        message, _ = preview(session, settings, sub, Period.of("daily", DAYS[1]), t0)
    assert outbox.record(sample_engine, "dead-sender", t0, delivering=inflight.id)
    send_message(SmtpConfig.from_url(settings.smtp_url), message)

    before_lease = deliver(sample_engine, settings, clock=lambda: t0 + dt.timedelta(minutes=5))
    assert before_lease.sent == 0  # the dead sender's claims are honoured until its lease ends
    after = deliver(sample_engine, settings, clock=lambda: lease + dt.timedelta(seconds=1))
    assert (after.sent, after.resent_after_crash) == (2, 1)
    twice = smtp.to("inflight@example.org")
    assert len(twice) == 2 and twice[0]["Message-ID"] == twice[1]["Message-ID"] == inflight.message_id
    assert len(smtp.to("claimed@example.org")) == 1
    with Session(sample_engine) as session:
        states = {r.id: (r.state, r.last_error) for r in session.execute(select(OutboxEmail)).scalars()}
    assert states[inflight.id] == ("sent", INTERRUPTED)
    assert [v for k, v in states.items() if k != inflight.id] == [("sent", None)]
