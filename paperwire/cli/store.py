"""Commands about the store itself: init, stats, daily, load-sample."""

from __future__ import annotations

import datetime as dt
import json

import click

from paperwire.cli import AppContext, pass_app
from paperwire.cli.params import DATE


@click.command()
@pass_app
def init(app: AppContext) -> None:
    """Create the database, or upgrade it to the newest schema."""
    from paperwire.db.migrate import upgrade

    upgrade(app.engine)
    click.echo(f"Database ready: {app.engine.url.render_as_string(hide_password=True)}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def stats(app: AppContext, as_json: bool) -> None:
    """Count papers, daily-list entries, authors and ingestion runs."""
    from paperwire.db.stats import store_stats

    numbers = store_stats(app.engine)
    if as_json:
        click.echo(json.dumps(numbers))
        return
    for key, value in numbers.items():
        click.echo(f"{key:>14}: {value}")


@click.command()
@click.option("--date", "day", type=DATE, help="List day (default: the latest).")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines.")
@pass_app
def daily(app: AppContext, day: dt.date | None, limit: int, as_json: bool) -> None:
    """Print a day's community list, most upvoted first."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from paperwire.daily.daily import adjacent_days, daily_list, latest_day
    from paperwire.db.session import make_sessionmaker

    with make_sessionmaker(app.engine)() as session:
        when = day or latest_day(session)
        if when is None:
            raise click.ClickException(
                "no daily lists stored yet; run `paperwire load-sample` or `paperwire ingest hf-daily PATH` first"
            )
        listed = daily_list(session, when, limit)
        if not listed:
            nearest = ", ".join(d.isoformat() for d in adjacent_days(session, when) if d is not None)
            raise click.ClickException(f"No list for {when} (nearest: {nearest or 'none stored yet'})")
    if as_json:
        for item in listed:
            p = item.paper
            click.echo(
                json.dumps(
                    {
                        "id": p.arxiv_id,
                        "title": p.title,
                        "upvotes": item.entry.upvotes,
                        "day": when.isoformat(),
                    }
                )
            )
        return
    table = Table(title=f"Daily papers, {when:%A %d %B %Y}")
    table.add_column("▲", justify="right")
    table.add_column("arXiv")
    table.add_column("Title")
    for item in listed:
        table.add_row(str(item.entry.upvotes), Text(item.paper.arxiv_id), Text(item.paper.title))
    Console().print(table)


@click.command("load-sample")
@pass_app
def load_sample(app: AppContext) -> None:
    """Load the bundled real sample (four weeks of daily lists, about 600 papers). Safe to re-run."""
    from paperwire.cli.claims import catch_up as catch_up_claims
    from paperwire.db.migrate import upgrade
    from paperwire.ingest.runner import run_ingest
    from paperwire.sample import SAMPLE_SOURCES

    upgrade(app.engine)
    for source, targets in SAMPLE_SOURCES:
        summary = run_ingest(app.engine, source, targets, app.settings)
        click.echo(
            f"{source}: {summary.counts.papers_new} new papers, {summary.counts.papers_updated} updated, "
            f"{summary.counts.daily_new} new daily entries"
        )
    papers, found = catch_up_claims(app.engine)
    if papers:
        click.echo(f"claims: {found} found in {papers} abstracts")


COMMANDS: list[click.Command] = [init, stats, daily, load_sample]
