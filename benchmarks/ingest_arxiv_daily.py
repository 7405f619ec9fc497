"""Ingest all of ../shared/data/arxiv-daily into fresh stores and report records/s.

    python benchmarks/ingest_arxiv_daily.py [--postgres URL] [--dir DIR]

Runs, in one process: the baseline (parsing inline, one core), the default pipeline (a parser
process beside the writer), then a second run over the same files (must add 0 papers), and the
same on PostgreSQL when a URL is given. Prints absolute numbers and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from paperwire.config import Settings
from paperwire.db.migrate import upgrade
from paperwire.db.session import make_engine
from paperwire.db.stats import store_stats
from paperwire.ingest.runner import run_ingest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-daily"
EXPECTED_PAPERS = 74_728


def timed_run(url: str, folder: Path, workers: int) -> dict[str, float | int]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url, ingest_workers=workers)
    engine = make_engine(url)
    upgrade(engine)
    start = time.perf_counter()
    summary = run_ingest(engine, "arxiv-daily", [str(folder)], settings)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    again = run_ingest(engine, "arxiv-daily", [str(folder)], settings)
    rerun_seconds = time.perf_counter() - start
    papers = store_stats(engine)["papers"]
    engine.dispose()
    return {
        "records": summary.read,
        "papers": papers,
        "seconds": round(seconds, 2),
        "records_per_s": round(summary.read / seconds),
        "rerun_new_papers": again.counts.papers_new,
        "rerun_seconds": round(rerun_seconds, 2),
    }


def postgres_database(admin_url: str) -> str:
    name = f"pw_bench_{uuid.uuid4().hex[:8]}"
    with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=DATA)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (a scratch database is created)")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {platform.python_version()}; data: {args.dir}"
    )
    results = {}
    for name, workers in (("sqlite, inline parse (baseline)", 0), ("sqlite, parser process (default)", 1)):
        url = f"sqlite:///{tempfile.mkdtemp()}/paperwire.db"
        results[name] = timed_run(url, args.dir, workers)
    if args.postgres:
        results["postgresql, parser process"] = timed_run(postgres_database(args.postgres), args.dir, 1)
    base = results["sqlite, inline parse (baseline)"]["seconds"]
    for name, result in results.items():
        ratio = base / float(result["seconds"])
        print(f"{name:34} {json.dumps(result)}  speed-up vs baseline {ratio:.2f}x")
        if result["papers"] != EXPECTED_PAPERS and args.dir == DATA:
            raise SystemExit(f"expected {EXPECTED_PAPERS} papers, got {result['papers']}")


if __name__ == "__main__":
    main()
