"""``paperwire ingest SOURCE PATH_OR_URL...``"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from paperwire.cli import AppContext, pass_app
from paperwire.cli.claims import catch_up as catch_up_claims
from paperwire.db.cluster import JobLock
from paperwire.db.migrate import upgrade
from paperwire.ingest.inputs import InputError
from paperwire.ingest.runner import run_ingest
from paperwire.ingest.sources import SOURCES
from paperwire.papers.record import RecordError

SHOWN_ERRORS = 100
EXIT_REJECTED = 3  # the run completed but skipped bad records (0: all stored, 1: the run failed)


class ConsoleLog(logging.Handler):
    """The ingest's notices (files not read, network waits) as plain lines above the progress bar."""

    def __init__(self, console: Console):
        super().__init__(logging.INFO)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(Text(self.format(record)), soft_wrap=True)


@contextmanager
def _notices(console: Console) -> Iterator[None]:
    """Show ingest notices (files not read, network waits) on ``console``."""
    logger = logging.getLogger("paperwire.ingest")
    handler = ConsoleLog(console)
    logger.addHandler(handler)
    logger.propagate, propagate = False, logger.propagate
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


@click.command()
@click.argument("source", type=click.Choice(list(SOURCES)), metavar="SOURCE")
@click.argument("targets", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option(
    "--batch-size", type=click.IntRange(1), help="Records per transaction [env PAPERWIRE_BATCH_SIZE; 2000]."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@pass_app
def ingest(
    app: AppContext, source: str, targets: tuple[str, ...], batch_size: int | None, as_json: bool, quiet: bool
) -> None:
    """Store papers from SOURCE: files (.gz too), directories of them, or URLs.

    \b
    arxiv-snapshot  the arXiv metadata snapshot (JSON Lines): FILE[.gz]
    arxiv-oai       arXiv OAI-PMH, incremental from the last harvest:
                    URL|default[?metadataPrefix=arXivRaw|arXiv&set=cs&from=YYYY-MM-DD&until=...]
    arxiv-api       the arXiv API (Atom): id:2401.01234,2401.05678  or  'query:cat:cs.CL AND ti:llm'
    hf-daily        Hugging Face /api/daily_papers: saved FILES/DIRS, a URL
                    (...?date=YYYY-MM-DD[..YYYY-MM-DD]), or date:FROM..TO
    arxiv-daily     daily arXiv listings, one YYYY-MM-DD.jsonl[.gz] per day
    jsonl, csv      paperwire's generic format (docs/formats.md)

    Bad records are reported (where, id, field, reason) and skipped; the rest are stored.
    Re-running is safe: ingestion is idempotent, and an interrupted or failed run resumes. An arxiv-oai
    harvest runs on one node at a time: started from cron on several, the others find it running and exit.
    From a directory only the files of the source's format are read (.jsonl/.ndjson/.json,
    .csv, .json for hf-daily; .gz too); the others are named and skipped.

    \b
    Exit status: 0  every record read was stored
                 3  the run completed, but some records were bad and skipped
                 1  the run failed (it is marked failed; the next run resumes it)
    """
    if batch_size:
        app.settings.batch_size = batch_size
    upgrade(app.engine)
    lock = JobLock(app.engine, f"ingest:{source}:{json.dumps(targets)}") if source == "arxiv-oai" else None
    if lock is not None and not lock.acquire():
        click.echo(f"{source}: the same harvest is running on another node or process; nothing to do")
        return
    try:
        _ingest(app, source, targets, as_json, quiet)
    finally:
        if lock is not None:
            lock.release()


def _ingest(app: AppContext, source: str, targets: tuple[str, ...], as_json: bool, quiet: bool) -> None:
    err = Console(stderr=True, highlight=False)
    shown = 0

    def report(error: RecordError) -> None:
        nonlocal shown
        shown += 1
        if shown <= SHOWN_ERRORS:
            err.print(Text.assemble(("skipped", "yellow"), f" {error}"), soft_wrap=True)

    progress = Progress(
        SpinnerColumn(),
        TextColumn(f"ingest {source}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=True,
    )
    with progress, _notices(err):
        task = progress.add_task("ingest", total=None)
        try:
            summary = run_ingest(
                app.engine,
                source,
                list(targets),
                app.settings,
                on_error=report,
                on_progress=lambda n: progress.advance(task, n),
            )
        except InputError as exc:
            raise click.ClickException(str(exc)) from None
    if shown > SHOWN_ERRORS:
        err.print(f"... and {shown - SHOWN_ERRORS} more skipped records (all stored in the run's errors)")
    catch_up_claims(app.engine, quiet=quiet)
    result = summary.as_dict()
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(
            f"{source}: read {result['read']}, new papers {result['papers_new']}, updated {result['papers_updated']}, "
            f"unchanged {result['papers_unchanged']}, daily entries new {result['daily_new']} / updated "
            f"{result['daily_updated']}, skipped {result['errors']}"
            + (" (resumed)" if result["resumed"] else "")
        )
    if summary.errors:
        raise click.exceptions.Exit(EXIT_REJECTED)


COMMANDS: list[click.Command] = [ingest]
