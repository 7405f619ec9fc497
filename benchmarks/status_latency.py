"""/status at 1,000,000 papers: the report's latency with and without its indexes, in one process.

    python benchmarks/status_latency.py [--n 1000000] [--runs 20] [--dir DIR]

The store: every unique paper of ../shared/data/arxiv-daily and every list of ../shared/data/hf-daily-papers
(ingested for real, 80,317 papers and 9,881 list entries), then synthetic papers up to ``--n``, each a copy
of a real paper under an old-style id ``synth/NNNNNNN`` with its published day moved back a whole number of
years (so day-of-week patterns stay real), stored by source ``arxiv-snapshot`` and with one in 500 abstracts
empty. The search index is marked caught up (the steady state of a node); one row "nothing indexed" shows
the first run of a fresh node, where every paper is counted as lag (one count over the whole table).

Timed: ``status_report`` (every query of /status and /api/status) and the whole /status page through the
app (rendering and the three SVG charts included), the median and 95th percentile of ``--runs`` calls after
one warm-up, and the median CPU time of this process per call (which other load on a shared machine
disturbs much less than wall-clock time). The baseline, in the same process on the same file, is the
same report after dropping the three indexes the report added (``ix_papers_source_published``, ``ix_papers_missing_abstract``,
``ix_daily_entries_source_day``); they are created again afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text

from paperwire.config import Settings, load_settings
from paperwire.db.migrate import upgrade
from paperwire.db.models import Paper
from paperwire.db.session import make_engine
from paperwire.search.indexer import IndexState, index_root, keyword_dir
from paperwire.status import status_report
from paperwire.web.app import create_app

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BATCH = 50_000
INDEXES = {
    "ix_papers_source_published": "CREATE INDEX ix_papers_source_published ON papers (source, published)",
    "ix_papers_missing_abstract": "CREATE INDEX ix_papers_missing_abstract ON papers (id) WHERE abstract = ''",
    "ix_daily_entries_source_day": "CREATE INDEX ix_daily_entries_source_day ON daily_entries (source, day)",
}


def build(directory: Path, n: int) -> Settings:
    settings = load_settings(data_dir=directory)
    if (directory / "built").exists():
        return settings
    if not (directory / "paperwire.db").exists():
        directory.mkdir(parents=True, exist_ok=True)
        run = [sys.executable, "-m", "paperwire", "--data-dir", str(directory)]
        subprocess.run([*run, "init"], check=True)
        subprocess.run([*run, "ingest", "arxiv-daily", str(DATA / "arxiv-daily")], check=True)
        subprocess.run([*run, "ingest", "hf-daily", str(DATA / "hf-daily-papers")], check=True)
    engine = make_engine(settings.db_url)
    papers = Paper.__table__
    with engine.begin() as conn:
        real = [dict(row._mapping) for row in conn.execute(select(papers))]
        seq = int(conn.execute(select(func.max(papers.c.change_seq))).scalar_one())
    made = len(real)
    print(f"{made} real papers; adding {n - made} synthetic ones", flush=True)
    while made < n:
        rows = []
        for i in range(min(BATCH, n - made)):
            base = real[(made + i) % len(real)]
            years = 1 + (made + i) // len(real)
            published = base["published"]
            if published is not None:
                published = published.replace(year=max(1992, published.year - years))
            rows.append(
                {
                    **{k: v for k, v in base.items() if k not in ("id", "created_at")},
                    "arxiv_id": f"synth/{made + i:07d}",
                    "published": published,
                    "source": "arxiv-snapshot",
                    "abstract": "" if (made + i) % 500 == 0 else base["abstract"],
                    "change_seq": seq + 1 + (made + i) // BATCH,
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(papers), rows)
        made += len(rows)
        print(f"  {made:,} papers", flush=True)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    (directory / "built").touch()
    return settings


def mark_indexed(settings: Settings, caught_up: bool) -> None:
    """The index state of a node that has indexed everything (or nothing). Only the cursor and the
    keyword index's meta file are written: the report reads no more, and a real 1M-paper index would
    take an hour to build here."""
    engine = make_engine(settings.db_url)
    with engine.connect() as conn:
        seq, pid = conn.execute(
            select(Paper.change_seq, Paper.id).order_by(Paper.change_seq.desc(), Paper.id.desc()).limit(1)
        ).one()
    engine.dispose()
    state = IndexState(seq, pid, seq, pid) if caught_up else IndexState()
    state.save(index_root(settings))
    meta = keyword_dir(settings) / "meta.json"
    if caught_up:
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text("{}")
    else:
        meta.unlink(missing_ok=True)


def timed(label: str, call: object, runs: int, *, warm: bool = True) -> dict[str, float]:
    assert callable(call)
    if warm:
        call()
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    result = {
        "p50": statistics.median(times),
        "p95": times[max(0, int(len(times) * 0.95) - 1)],
        "cpu": statistics.median(cpu),
    }
    print(f"| {label} | {result['p50']:.1f} | {result['p95']:.1f} | {result['cpu']:.1f} |", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/paperwire-status-bench"))
    args = parser.parse_args()
    settings = build(args.dir, args.n)
    engine = make_engine(settings.db_url)
    upgrade(engine)  # a store built by an older version of this script
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Paper)).scalar_one()
    print(f"store: {total:,} papers; load average {os.getloadavg()[0]:.1f}")
    print("| what | p50 ms | p95 ms | CPU ms (p50) |\n|---|---:|---:|---:|")
    mark_indexed(settings, caught_up=True)
    app = create_app(settings)
    with TestClient(app) as client:
        timed("status_report, with its indexes", lambda: status_report(engine, settings), args.runs)
        timed("GET /status (page, 3 charts)", lambda: client.get("/status").raise_for_status(), args.runs)
        timed("GET /api/status", lambda: client.get("/api/status").raise_for_status(), args.runs)
        with engine.begin() as conn:
            for name in INDEXES:
                conn.execute(text(f"DROP INDEX {name}"))
        try:
            timed(
                "status_report, without them (baseline)", lambda: status_report(engine, settings), args.runs
            )
        finally:
            with engine.begin() as conn:
                for statement in INDEXES.values():
                    conn.execute(text(statement))
        mark_indexed(settings, caught_up=False)
        timed("status_report, nothing indexed yet", lambda: status_report(engine, settings), args.runs)
        mark_indexed(settings, caught_up=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
