"""Run one ingestion: read a source, write batches in transactions, keep the run's cursor and report.

Each batch and the run's cursor are committed together, so a run killed at any instant resumes from
the last committed record (a new run with the same source and targets picks it up) and ends with the
same database as one clean run: the writer's merge is idempotent.

A run ends ``completed``, or ``failed`` when anything stops it (a missing file, the network, Ctrl-C
or SIGTERM, taken between writes, a crash); a row left ``running`` by a process that is gone (SIGKILL, power loss) is
recognised by its owner (host and pid in ``counts.owner``) and closed as ``failed`` when the next run
starts. The next run of the same source and targets resumes a run that did not complete. One bad
record never fails a run: readers turn it into a RecordError, and a batch the store refuses is
written in halves down to the records it refuses, each reported like a bad input record.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from paperwire.clock import utcnow
from paperwire.config import Settings
from paperwire.db.models import IngestRun
from paperwire.ingest.inputs import Cursor, InputError
from paperwire.ingest.sources import SOURCES, SourceReader
from paperwire.ingest.writer import BatchCounts, write_batch
from paperwire.papers.record import Record, RecordError, one_line
from paperwire.processes import owner_state as processes_owner_state
from paperwire.processes import this_process

RUNS: Table = IngestRun.__table__  # type: ignore[assignment]
STORED_ERRORS = 1000  # per run; the count is always exact
log = logging.getLogger(__name__)


class UnknownSource(ValueError):
    pass


class RunInProgress(InputError):
    """Another live process is running the same source and targets."""


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


def owner_state(owner: object) -> str:
    """As ``processes.owner_state``, except that a row naming this very process is gone: a run this
    process started and did not finish (an exception in the same process) is not still running."""
    return "gone" if owner == this_process() else processes_owner_state(owner)


def _mark_failed(conn: Connection, run_id: int, reason: str) -> None:
    errors = conn.execute(select(RUNS.c.errors).where(RUNS.c.id == run_id)).scalar_one()
    failure = {"where": "run", "id": None, "field": None, "reason": one_line(f"failed: {reason}", 500)}
    conn.execute(
        update(RUNS)
        .where(RUNS.c.id == run_id)
        .values(status="failed", finished_at=utcnow(), errors=[*(errors or []), failure])
    )


def close_stale_runs(conn: Connection) -> list[int]:
    """Mark ``failed`` every ``running`` row whose process on this host is gone (killed, machine
    restarted); such a run is still resumed by the next run of the same source and targets."""
    rows = conn.execute(select(RUNS.c.id, RUNS.c.counts).where(RUNS.c.status == "running")).all()
    stale = [row.id for row in rows if owner_state((row.counts or {}).get("owner")) == "gone"]
    for run_id in stale:
        _mark_failed(conn, run_id, "its process ended before the run finished")
    return stale


def _start_run(engine: Engine, source: str, target: str) -> tuple[int, Cursor | None, dict[str, Any], int]:
    """Resume the newest run of the same source and targets if it did not complete, or open a new one."""
    with engine.begin() as conn:
        row = conn.execute(
            select(RUNS.c.id, RUNS.c.status, RUNS.c.cursor, RUNS.c.counts, RUNS.c.errors)
            .where(RUNS.c.source == source, RUNS.c.target == target)
            .order_by(RUNS.c.id.desc())
            .limit(1)
        ).first()
        # Another host's run cannot be checked: it is resumed, as a killed one would be.
        if (
            row is not None
            and row.status == "running"
            and owner_state((row.counts or {}).get("owner")) == "alive"
        ):
            raise RunInProgress(
                f"run {row.id} of {source} on the same targets is still running"
                f" (process {row.counts['owner']}); wait for it to finish or stop it"
            )
        close_stale_runs(conn)
        counts = {"owner": this_process()}
        if row is not None and row.status in ("running", "failed"):
            prior = dict(row.counts or {})
            conn.execute(
                update(RUNS)
                .where(RUNS.c.id == row.id)
                .values(status="running", finished_at=None, counts={**prior, **counts})
            )
            return row.id, row.cursor, prior, len(row.errors or [])
        run_id = conn.execute(
            insert(RUNS).values(
                source=source, target=target, started_at=utcnow(), status="running", counts=counts, errors=[]
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        return int(run_id), None, {}, 0


def get_reader(source: str) -> SourceReader:
    try:
        return SOURCES[source]
    except KeyError:
        raise UnknownSource(f"unknown source {source!r}; choose one of: {', '.join(SOURCES)}") from None


class _Stops:
    """SIGINT and SIGTERM end a run as failed, but only between writes: a signal that arrives while a
    transaction is open waits until it has committed or rolled back, since an exception raised in the
    middle of the driver's work could leave the connection, and SQLite's write lock, held."""

    def __init__(self) -> None:
        self.writing = False
        self.pending: int | None = None
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> _Stops:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *_exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.writing:
            self.pending = signum
        else:
            _stop(signum)

    @contextmanager
    def write(self) -> Iterator[None]:
        self.writing = True
        try:
            yield
        finally:
            self.writing = False
        if self.pending is not None:
            signum, self.pending = self.pending, None
            _stop(signum)


def _stop(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _where(cursor: Cursor | None, record: Record) -> str:
    """Where a parsed record came from, rebuilt from its cursor (records do not carry it)."""
    cursor = cursor or {}
    if "file" in cursor and "line" in cursor:
        return f"{cursor['file']}:{cursor['line']}"
    if "file" in cursor and "item" in cursor:
        return f"{cursor['file']}: item {int(cursor['item']) - 1}"
    return f"record {record.arxiv_id}"


def _record_fault(exc: BaseException) -> bool:
    """Whether a failed write can be blamed on the records in it (so it is worth splitting the batch),
    not on the store (locked, gone, full), which must fail the run."""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, DataError | IntegrityError)
    return isinstance(exc, StatementError | ValueError | TypeError | ArithmeticError)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, SystemExit):
        return "stopped by a signal"
    return str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"


def run_ingest(
    engine: Engine,
    source: str,
    targets: list[str],
    settings: Settings,
    *,
    on_error: Callable[[RecordError], None] = lambda _e: None,
    on_progress: Callable[[int], None] = lambda _n: None,
) -> RunSummary:
    """Ingest ``targets``; the run ends ``completed``, or ``failed`` (then re-raises) on any error or
    interrupt, and the records read before it are stored either way."""
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
    owner = this_process()

    stops = _Stops()
    batch: list[tuple[Record, Cursor]] = []
    pending_errors: list[dict[str, Any]] = []
    last: Cursor | None = cursor

    def refused(records: list[tuple[Record, Cursor]]) -> list[RecordError]:
        """Write ``records`` in halves, each in its own transaction, down to the ones the store refuses."""
        try:
            with engine.begin() as conn:
                summary.counts.add(write_batch(conn, [r for r, _ in records], source))
        except Exception as exc:
            if not _record_fault(exc):
                raise
            if len(records) == 1:
                record, position = records[0]
                reason = (
                    f"the store refused it: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                )
                return [RecordError(_where(position, record), reason, record_id=record.arxiv_id)]
            middle = len(records) // 2
            return refused(records[:middle]) + refused(records[middle:])
        return []

    def count_papers(arxiv_ids: Iterable[str]) -> None:
        fresh = set(arxiv_ids) - seen
        seen.update(fresh)
        summary.papers += len(fresh)

    def save_progress(conn: Connection) -> None:
        nonlocal stored_errors
        progress: dict[str, Any] = {
            "cursor": last,
            "counts": {
                "read": summary.read,
                "errors": summary.errors,
                "papers": summary.papers,
                **summary.counts.as_dict(),
                "owner": owner,
            },
        }
        keep = pending_errors[: max(0, STORED_ERRORS - stored_errors)]
        if keep:  # the stored list is read and rewritten only when it grows
            errors = conn.execute(select(RUNS.c.errors).where(RUNS.c.id == run_id)).scalar_one()
            progress["errors"] = [*errors, *keep]
            stored_errors += len(keep)
        conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(**progress))

    def flush() -> None:
        nonlocal batch, pending_errors
        done = len(batch) + len(pending_errors)
        with stops.write():  # a stopping signal is raised after the batch counts as written
            write()
            on_progress(done)
            batch, pending_errors = [], []

    def write() -> None:
        before = (dataclasses.replace(summary.counts), summary.papers)
        try:
            with engine.begin() as conn:
                summary.counts.add(write_batch(conn, [r for r, _ in batch], source))
                count_papers(r.arxiv_id for r, _ in batch)
                save_progress(conn)
        except Exception as exc:
            summary.counts, summary.papers = before
            if not _record_fault(exc):
                raise
            refused_ids = set()
            for error in refused(batch):
                summary.errors += 1
                pending_errors.append(error.as_dict())
                refused_ids.add(error.record_id)
                on_error(error)
            count_papers(r.arxiv_id for r, _ in batch if r.arxiv_id not in refused_ids)
            with engine.begin() as conn:
                save_progress(conn)

    with stops:
        try:
            for item, position in reader(targets, settings, cursor):
                summary.read += 1
                last = position
                if isinstance(item, RecordError):
                    summary.errors += 1
                    pending_errors.append(item.as_dict())
                    on_error(item)
                else:
                    batch.append((item, position))
                if len(batch) + len(pending_errors) >= settings.batch_size:
                    flush()
            flush()
        except BaseException as exc:
            stops.pending = None  # the run is stopping already
            _fail(engine, run_id, exc, flush if batch or pending_errors else None)
            raise
        with stops.write(), engine.begin() as conn:
            conn.execute(
                update(RUNS).where(RUNS.c.id == run_id).values(status="completed", finished_at=utcnow())
            )
    return summary


def _fail(engine: Engine, run_id: int, exc: BaseException, flush: Callable[[], None] | None) -> None:
    """Store what was read before ``exc`` (when the store itself is not what failed) and mark the run
    failed; a problem doing so is logged, never raised over ``exc``."""
    try:
        if flush is not None and not isinstance(exc, DBAPIError):
            flush()
        with engine.begin() as conn:
            _mark_failed(conn, run_id, _failure(exc))
    except Exception as problem:
        log.warning("run %d: could not be marked failed: %s", run_id, problem)
