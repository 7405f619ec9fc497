"""Commands for quantitative claims: `claims extract` (and the store's commands, in the same group)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

import click

from paperwire.cli import AppContext, pass_app

if TYPE_CHECKING:
    from sqlalchemy import Engine


@click.group("claims")
def claims() -> None:
    """Quantitative claims in abstracts ("2x faster", "-61% memory"): extract them, store them."""


def _claims_line(raw: str) -> dict[str, Any]:
    """One input line's output; raises ValueError naming the field that is wrong."""
    from paperwire.claims import extract_claims

    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    abstract = record.get("abstract")
    if not isinstance(abstract, str):
        raise ValueError("field 'abstract': missing or not a string")
    return {"id": record.get("id"), "claims": [c.as_json() for c in extract_claims(abstract)]}


@claims.command("extract")
@click.argument("input_file", metavar="INPUT.jsonl", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="One JSON line per input line (the only format today).")
def extract(input_file: TextIO, as_json: bool) -> None:
    """Print the claims of each abstract in INPUT.jsonl (lines of {"id", "title", "abstract"}).

    Output: one line per input line, in order, {"id": ..., "claims": [{"text", "value" or
    "value_min"/"value_max", "unit", "kind", "direction"}]}; "text" is an exact substring of the
    abstract. A bad line is reported on stderr as one line (FILE:LINE: id ID: reason) and skipped;
    the exit status is then 1. Use `-` to read standard input.
    """
    name = getattr(input_file, "name", "-")
    bad = 0
    out = sys.stdout
    for number, raw in enumerate(input_file, 1):
        if not raw.strip():
            continue
        try:
            result = _claims_line(raw)
        except ValueError as exc:
            bad += 1
            ident = _id_of(raw)
            where = f"{name}:{number}:" + (f" id {ident}:" if ident is not None else "")
            click.echo(f"{where} {exc}", err=True)
            continue
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    if bad:
        raise click.ClickException(f"{bad} bad line(s) in {name} skipped")


def _id_of(raw: str) -> object:
    try:
        record = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return record.get("id") if isinstance(record, dict) else None


@claims.command("backfill")
@click.option("--again", is_flag=True, help="Extract every paper again, not only those never extracted.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help="Papers per transaction (an interrupted run resumes after the last one committed).",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    default=None,
    help="Processes that extract while the main one reads and writes (0: inline) [default: one per core].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
@pass_app
def backfill(app: AppContext, again: bool, batch_size: int, workers: int | None, as_json: bool) -> None:
    """Extract and store the claims of every paper in the store that has none yet.

    `ingest` and `load-sample` end with this catch-up themselves; run it once after upgrading, after an
    interrupted ingest, or with --again after the extractor changed. Safe to interrupt and run again: it
    resumes where it stopped.
    """
    import time

    from paperwire.db.migrate import upgrade

    upgrade(app.engine)
    started = time.perf_counter()
    papers, found = catch_up(app.engine, again=again, batch_size=batch_size, workers=workers, quiet=as_json)
    seconds = time.perf_counter() - started
    counts = {"papers": papers, "claims": found, "seconds": round(seconds, 3)}
    if as_json:
        click.echo(json.dumps(counts))
    else:
        rate = papers / seconds if seconds > 0 else 0.0
        click.echo(f"{papers} papers extracted, {found} claims stored ({rate:.0f} abstracts/s)")


def catch_up(
    engine: Engine,
    *,
    again: bool = False,
    batch_size: int = 1000,
    workers: int | None = None,
    quiet: bool = False,
) -> tuple[int, int]:
    """Extract the claims of the papers that have none yet, with a progress bar on stderr.

    ``ingest`` and ``load-sample`` end with it, so that a bulk load (whose batches leave extraction to
    this) is fully searchable by ``claim:`` when the command returns. Returns (papers, claims).
    """
    import os

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from paperwire.claims import store

    total = store.pending(engine, again=again)
    if total == 0:
        return 0, 0
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("extracting claims", total=total)
        return store.backfill(
            engine,
            again=again,
            batch_size=batch_size,
            workers=(os.cpu_count() or 1) if workers is None else workers,
            advance=lambda n: bar.advance(task, n),
        )


COMMANDS: list[click.Command] = [claims]
