"""Run one ingestion: read a source, write batches in transactions, keep the run's cursor and report.

Each batch and the run's cursor are committed together, so a run killed at any instant resumes from
the last committed record (a new run with the same source and targets picks it up) and ends with the
same database as one clean run: the writer's merge is idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table, insert, select, update

from paperwire.clock import utcnow
from paperwire.config import Settings
from paperwire.db.models import IngestRun
from paperwire.ingest.inputs import Cursor
from paperwire.ingest.sources import SOURCES, SourceReader
from paperwire.ingest.writer import BatchCounts, write_batch
from paperwire.papers.record import Record, RecordError

RUNS: Table = IngestRun.__table__  # type: ignore[assignment]
STORED_ERRORS = 1000  # per run; the count is always exact


class UnknownSource(ValueError):
    pass


@dataclass
class RunSummary:
    run_id: int
    source: str
    read: int = 0
    errors: int = 0
    # Distinct papers this run described (a listing repeats a paper on several days).
    papers: int = 0
    resumed: bool = False
    counts: BatchCounts = field(default_factory=BatchCounts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "read": self.read,
            "errors": self.errors,
            "papers": self.papers,
            "resumed": self.resumed,
            **self.counts.as_dict(),
        }


def _start_run(engine: Engine, source: str, target: str) -> tuple[int, Cursor | None, dict[str, Any], int]:
    """Resume the newest unfinished run of the same source and targets, or open a new one."""
    with engine.begin() as conn:
        row = conn.execute(
            select(RUNS.c.id, RUNS.c.cursor, RUNS.c.counts, RUNS.c.errors)
            .where(RUNS.c.source == source, RUNS.c.target == target, RUNS.c.status == "running")
            .order_by(RUNS.c.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            return row.id, row.cursor, dict(row.counts or {}), len(row.errors or [])
        run_id = conn.execute(
            insert(RUNS).values(
                source=source, target=target, started_at=utcnow(), status="running", counts={}, errors=[]
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        return int(run_id), None, {}, 0


def get_reader(source: str) -> SourceReader:
    try:
        return SOURCES[source]
    except KeyError:
        raise UnknownSource(f"unknown source {source!r}; choose one of: {', '.join(SOURCES)}") from None


def run_ingest(
    engine: Engine,
    source: str,
    targets: list[str],
    settings: Settings,
    *,
    on_error: Callable[[RecordError], None] = lambda _e: None,
    on_progress: Callable[[int], None] = lambda _n: None,
) -> RunSummary:
    reader = get_reader(source)
    target = json.dumps(targets)
    run_id, cursor, prior, stored_errors = _start_run(engine, source, target)
    summary = RunSummary(run_id=run_id, source=source, resumed=cursor is not None)
    summary.read = prior.get("read", 0)
    summary.errors = prior.get("errors", 0)
    summary.papers = prior.get("papers", 0)
    seen: set[str] = set()  # this process's share; a resumed run counts on from the stored total
    for name in summary.counts.as_dict():
        setattr(summary.counts, name, prior.get(name, 0))

    batch: list[Record] = []
    pending_errors: list[dict[str, Any]] = []
    last: Cursor | None = cursor

    def flush() -> None:
        nonlocal batch, pending_errors, stored_errors
        with engine.begin() as conn:
            summary.counts.add(write_batch(conn, batch, source))
            fresh = {record.arxiv_id for record in batch} - seen
            seen.update(fresh)
            summary.papers += len(fresh)
            progress: dict[str, Any] = {
                "cursor": last,
                "counts": {
                    "read": summary.read,
                    "errors": summary.errors,
                    "papers": summary.papers,
                    **summary.counts.as_dict(),
                },
            }
            keep = pending_errors[: max(0, STORED_ERRORS - stored_errors)]
            if keep:  # the stored list is read and rewritten only when it grows
                errors = conn.execute(select(RUNS.c.errors).where(RUNS.c.id == run_id)).scalar_one()
                progress["errors"] = [*errors, *keep]
                stored_errors += len(keep)
            conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(**progress))
        on_progress(len(batch) + len(pending_errors))
        batch, pending_errors = [], []

    for item, position in reader(targets, settings, cursor):
        summary.read += 1
        last = position
        if isinstance(item, RecordError):
            summary.errors += 1
            pending_errors.append(item.as_dict())
            on_error(item)
        else:
            batch.append(item)
        if len(batch) + len(pending_errors) >= settings.batch_size:
            flush()
    flush()
    with engine.begin() as conn:
        conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(status="done", finished_at=utcnow()))
    return summary
