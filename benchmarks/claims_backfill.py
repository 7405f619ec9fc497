"""Claims extraction speed on real abstracts: `paperwire claims backfill` on a store of arxiv-daily papers.

    python benchmarks/claims_backfill.py [--files N] [--workers 0 2]

Ingests the first N daily files of ../shared/data/arxiv-daily into a fresh SQLite store (ingest extracts
nothing for these bulk batches: over the inline limit), then, in one process, alternates full backfills
(``again``) with each worker count, and times extraction alone over the same abstracts as the ceiling.
Prints abstracts/s for each.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from paperwire.claims import extract_claims, store
from paperwire.config import Settings
from paperwire.db.migrate import upgrade
from paperwire.db.models import Paper
from paperwire.db.session import make_engine
from paperwire.ingest.runner import run_ingest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-daily"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=40, help="first N daily files (410 in all)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'paperwire.db'}"
    files = sorted(DATA.glob("*.jsonl.gz"))[: args.files]
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(data_dir=folder, database_url=url, ingest_workers=0)
    started = time.perf_counter()
    run_ingest(engine, "arxiv-daily", [str(f) for f in files], settings)
    ingest_s = time.perf_counter() - started
    with engine.connect() as conn:
        abstracts = list(conn.execute(select(Paper.abstract)).scalars())
    pending = store.pending(engine)
    results: dict[str, list[float]] = {}
    started = time.perf_counter()
    found = sum(len(extract_claims(text)) for text in abstracts)
    results["extract only (no store)"] = [len(abstracts) / (time.perf_counter() - started)]
    for _ in range(args.rounds):
        for workers in args.workers:
            started = time.perf_counter()
            papers, claims = store.backfill(engine, again=True, workers=workers)
            rate = papers / (time.perf_counter() - started)
            results.setdefault(f"backfill, workers={workers}", []).append(rate)
            assert claims == found, (claims, found)
    print(
        json.dumps(
            {
                "files": len(files),
                "papers": len(abstracts),
                "claims": found,
                "left to backfill after ingest": pending,
                "ingest_s": round(ingest_s, 1),
                "abstracts_per_s": {k: [round(v) for v in vals] for k, vals in results.items()},
                "machine": f"{platform.machine()}, Python {platform.python_version()}",
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
