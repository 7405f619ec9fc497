"""`paperwire status`: how complete and fresh the store is, for people (tables) and monitors (JSON)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from paperwire.cli import AppContext, pass_app

if TYPE_CHECKING:
    from paperwire.status import StatusReport

# Documented in README: cron alerts on a non-zero exit; 4 is "stale", apart from errors (1) and usage (2).
EXIT_STALE = 4


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (for monitoring).")
@click.option(
    "--stale-hours",
    type=click.FloatRange(min=0, min_open=True),
    help="A source is stale when its last good run is older than this [env PAPERWIRE_STATUS_STALE_HOURS].",
)
@pass_app
def status(app: AppContext, as_json: bool, stale_hours: float | None) -> None:
    """Show each source's last run, the newest data, gaps, index lag and the digest outbox.

    Exits 4 when a source that has run before has had no good run for --stale-hours, so a cron
    job can alert.
    """
    from paperwire.status import status_report

    settings = app.settings
    if stale_hours is not None:
        settings = settings.model_copy(update={"status_stale_hours": stale_hours})
    report = status_report(app.engine, settings)
    if as_json:
        click.echo(json.dumps(report.as_json()))
    else:
        _print(report)
    if report.stale_sources:
        click.echo(
            f"Stale: {', '.join(report.stale_sources)} (no good run in {settings.status_stale_hours:g} h)",
            err=True,
        )
        raise SystemExit(EXIT_STALE)


def _print(report: StatusReport) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # Piped into a file or a mail from cron, a row should not be cut at 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    sources = Table(title="Sources", title_justify="left")
    for name in (
        "source",
        "last run",
        "status",
        "papers",
        "list entries",
        "rejected",
        "newest paper",
        "newest list day",
        "data lag",
        "last good run",
    ):
        numeric = name in ("papers", "list entries", "rejected")
        sources.add_column(name, justify="right" if numeric else "left", no_wrap=True)
    for s in report.sources:
        run = s.last_run
        age = "" if s.hours_since_success is None else f"{s.hours_since_success:.0f} h ago"
        sources.add_row(
            s.source,
            f"{run.started_at:%Y-%m-%d %H:%M}" if run else "never",
            ("[red]" if s.stale else "") + escape(run.status if run else "-"),
            f"{run.papers:,}" if run else "",
            f"{run.list_entries:,}" if run else "",
            f"{run.counts.get('errors', 0):,}" if run else "",
            str(s.newest_paper or ""),
            str(s.newest_list_day or ""),
            "" if s.lag_days is None else f"{s.lag_days} d",
            age,
        )
    console.print(sources)
    for s in report.sources:
        for error in s.last_run.errors if s.last_run else []:
            console.print(f"  {escape(s.source)}: {escape(error)}", highlight=False)
    if report.window:
        start, end = report.window
        console.print(
            f"{start} to {end}: {sum(d.papers for d in report.days):,} papers, "
            f"{sum(d.entries for d in report.days):,} list entries, "
            f"{sum(1 for d in report.days if d.expected_empty)} days expected empty (weekends, arXiv holidays)",
            highlight=False,
        )
    gaps = Table(title=f"Gaps ({len(report.gaps)})", title_justify="left")
    for name in ("day", "kind", "detail"):
        gaps.add_column(name)
    for gap in report.gaps:
        gaps.add_row(f"{gap.day} {gap.day:%a}", gap.kind, escape(gap.detail))
    console.print(gaps)
    index, outbox = report.index, report.outbox
    console.print(
        f"Papers without an abstract: {report.missing_abstracts:,}\n"
        f"Not yet searchable: {index['keyword'] or 0:,} (keyword), "
        + (
            "no vector index (semantic search off)"
            if index["vectors"] is None
            else f"{index['vectors']:,} (semantic)"
        )
        + "\n"
        f"Digest outbox: {outbox.queued} queued, {outbox.retrying} retrying, {outbox.failed} failed, "
        f"{outbox.paused_addresses} paused addresses",
        highlight=False,
    )


COMMANDS: list[click.Command] = [status]
