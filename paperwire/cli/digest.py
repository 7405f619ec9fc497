"""Commands for email digests: subscribe, import a list, preview and send.

Cron, instead of `paperwire serve` with PAPERWIRE_DIGEST_SCHEDULE=true (times in UTC)::

    */15 7-11 * * 1-5  paperwire digest send --period daily
    */15 7-11 * * 1    paperwire digest send --period weekly

Re-running within the day is safe and is how retries and late confirmations are picked up.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from paperwire.cli import AppContext, pass_app
from paperwire.clock import utcnow
from paperwire.daily.daily import latest_day
from paperwire.db.migrate import upgrade
from paperwire.db.session import make_sessionmaker, session_scope
from paperwire.digest import outbox, subscriptions
from paperwire.digest.compose import Period
from paperwire.digest.matching import check_query
from paperwire.digest.models import CADENCES
from paperwire.digest.schedule import run_schedule
from paperwire.digest.sender import preview as render_preview
from paperwire.digest.sender import send_digests
from paperwire.mail.smtp import MailError, SmtpConfig
from paperwire.search import QueryError

CADENCE = click.Choice(list(CADENCES))
DATE = click.DateTime(["%Y-%m-%d"])


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@click.group("subscribers")
def subscribers() -> None:
    """Manage digest subscribers."""


@subscribers.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if some rows are invalid.")
@pass_app
def import_subscribers(app: AppContext, csv_file: Path, skip_invalid: bool) -> None:
    """Import an already-confirmed list: columns email,cadence,query (no email is sent)."""
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{csv_file} is not UTF-8 text: {exc}") from exc
    upgrade(app.engine)
    with session_scope(make_sessionmaker(app.engine)) as session:
        report = subscriptions.import_confirmed(session, text, skip_invalid=skip_invalid)
    if report.errors and not skip_invalid:
        shown = "; ".join(report.errors[:5]) + (
            f" (and {len(report.errors) - 5} more)" if len(report.errors) > 5 else ""
        )
        raise click.ClickException(f"nothing imported, {len(report.errors)} invalid rows: {shown}")
    for error in report.errors:
        click.echo(f"skipped {error}", err=True)
    click.echo(
        json.dumps(
            {
                "created": report.created,
                "updated": report.updated,
                "kept_unsubscribed": report.kept_unsubscribed,
                "invalid": len(report.errors),
            }
        )
    )


@subscribers.command("list")
@pass_app
def list_subscribers(app: AppContext) -> None:
    """Print every subscription as JSON Lines."""
    upgrade(app.engine)
    with make_sessionmaker(app.engine)() as session:
        for sub in subscriptions.every_subscription(session):
            click.echo(
                json.dumps(
                    {
                        "email": sub.email,
                        "status": sub.status,
                        "cadence": sub.cadence,
                        "topics": sub.topics(),
                        "hard_failures": sub.hard_failures,
                    }
                )
            )


@click.command("subscribe")
@click.argument("email")
@click.option("--cadence", type=CADENCE, default="daily", show_default=True)
@click.option("--query", "queries", multiple=True, help="A saved search (repeatable), in search-box syntax.")
@click.option("--author", "authors", multiple=True, help="Follow an author (repeatable).")
@click.option("--category", "categories", multiple=True, help="An arXiv category such as cs.CL (repeatable).")
@click.option("--no-trending", is_flag=True, help="Leave out the trending papers.")
@pass_app
def subscribe(
    app: AppContext,
    email: str,
    cadence: str,
    queries: tuple[str, ...],
    authors: tuple[str, ...],
    categories: tuple[str, ...],
    no_trending: bool,
) -> None:
    """Subscribe EMAIL to digests: sends the confirmation link, and nothing else until it is clicked."""
    try:
        for query in queries:
            check_query(query)
    except QueryError as exc:
        raise click.ClickException(str(exc)) from exc
    upgrade(app.engine)
    topics = subscriptions.Topics(
        trending=not no_trending, queries=queries, authors=authors, categories=categories
    )
    factory = make_sessionmaker(app.engine)
    try:
        with session_scope(factory) as session:
            outcome = subscriptions.subscribe(session, email, cadence, topics)
            sub = outcome.subscription
            if outcome.confirmation_needed:
                subscriptions.send_confirmation(app.settings, sub)
    except subscriptions.SubscriptionError as exc:
        raise click.ClickException(str(exc)) from exc
    except MailError as exc:
        raise click.ClickException(f"could not send the confirmation email: {exc}") from exc
    if outcome.confirmation_needed:
        click.echo(
            f"Confirmation email sent to {sub.email}; the subscription starts when the link is clicked."
        )
    elif sub.status == "pending":
        click.echo(
            f"A confirmation email was sent to {sub.email} a few minutes ago; not sending another yet."
        )
    else:
        click.echo(
            f"{sub.email} is already subscribed ({sub.status}); change it with the link in any digest."
        )


@click.command("unsubscribe")
@click.argument("email")
@pass_app
def unsubscribe(app: AppContext, email: str) -> None:
    """Stop all digests to EMAIL."""
    upgrade(app.engine)
    try:
        with session_scope(make_sessionmaker(app.engine)) as session:
            sub = subscriptions.unsubscribe_email(session, email)
    except subscriptions.SubscriptionError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{sub.email} is unsubscribed.")


@click.group("digest")
def digest() -> None:
    """Preview and send email digests."""


@digest.command("preview")
@click.option("--email", required=True, help="The subscriber whose digest to render.")
@click.option("--period", "cadence", type=CADENCE, help="Default: the subscriber's cadence.")
@click.option(
    "--date", "day", type=DATE, help="Send date (default: the latest day with a daily list, else today)."
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "eml"]),
    help="text or html part, or the whole message (default: from --out's suffix, else text).",
)
@pass_app
def preview(
    app: AppContext,
    email: str,
    cadence: str | None,
    day: dt.datetime | None,
    out: Path | None,
    fmt: str | None,
) -> None:
    """Render what EMAIL's next digest would contain, without sending or recording anything."""
    upgrade(app.engine)
    try:
        address = subscriptions.normalize_email(email)
    except subscriptions.SubscriptionError as exc:
        raise click.ClickException(str(exc)) from exc
    with make_sessionmaker(app.engine)() as session:
        sub = subscriptions.find(session, address)
        if sub is None:
            raise click.ClickException(f"no subscription for {address}")
        when = day.date() if day else (latest_day(session) or _today())
        period = Period.of(cadence or sub.cadence, when)
        message, count = render_preview(session, app.settings, sub, period, utcnow())
    if not count:
        click.echo(f"{address}: nothing new for {period.key}; this digest would not be sent.", err=True)
        return
    fmt = fmt or (
        {".html": "html", ".htm": "html", ".eml": "eml"}.get(out.suffix.lower(), "text") if out else "text"
    )
    if fmt == "eml":
        content = message.as_string()
    else:
        part = message.get_body(preferencelist=("html",) if fmt == "html" else ("plain",))
        content = part.get_content() if part is not None else ""
    if out:
        out.write_text(content, encoding="utf-8")
        click.echo(f"wrote {count} papers ({fmt}) to {out}", err=True)
    else:
        sys.stdout.write(content)


@digest.command("send")
@click.option("--period", "cadence", type=CADENCE, required=True)
@click.option("--date", "day", type=DATE, help="The send date (default: today, UTC).")
@click.option(
    "--dry-run", is_flag=True, help="Compose only: report what would be sent, write and send nothing."
)
@pass_app
def send(app: AppContext, cadence: str, day: dt.datetime | None, dry_run: bool) -> None:
    """Send the period's digests that are due; prints a JSON summary (sent, skipped, failed, ...)."""
    try:
        SmtpConfig.from_url(app.settings.smtp_url)
    except ValueError as exc:
        raise click.ClickException(f"PAPERWIRE_SMTP_URL: {exc}") from exc
    if not app.settings.base_url.startswith("https://") and not dry_run:
        click.echo(
            f"warning: PAPERWIRE_BASE_URL is {app.settings.base_url}; mail providers honour one-click"
            " unsubscribe (RFC 8058) only for https links",
            err=True,
        )
    upgrade(app.engine)
    summary = send_digests(
        app.engine, app.settings, cadence, day.date() if day else _today(), dry_run=dry_run
    )
    click.echo(json.dumps(summary.as_dict()))


@digest.command("status")
@click.option("--period", "cadence", type=CADENCE, required=True)
@click.option("--date", "day", type=DATE, help="The send date (default: today, UTC).")
@pass_app
def status(app: AppContext, cadence: str, day: dt.datetime | None) -> None:
    """Print how many of a period's digests are queued, being sent, sent and failed (JSON)."""
    upgrade(app.engine)
    period = Period.of(cadence, day.date() if day else _today())
    click.echo(json.dumps({"period": period.key, **asdict(outbox.counts(app.engine, period.key))}))


@digest.command("schedule")
@pass_app
def schedule(app: AppContext) -> None:
    """Run the digest schedule in the foreground (what `paperwire serve` does with PAPERWIRE_DIGEST_SCHEDULE)."""
    upgrade(app.engine)
    click.echo(
        f"sending daily digests on weekdays and weekly ones on ISO weekday {app.settings.digest_weekly_weekday},"
        f" from {app.settings.digest_send_hour:02d}:00 UTC; Ctrl-C stops",
        err=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_schedule(app.engine, app.settings))


COMMANDS: list[click.Command] = [subscribers, subscribe, unsubscribe, digest]
