"""Ingest all of ../shared/data/hf-daily-papers (580 raw API responses) and check the counts.

    python benchmarks/ingest_hf_daily.py

Expected: 9,877 papers and 9,881 daily entries, no skipped records, and 0 new on a second run.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from paperwire.config import Settings
from paperwire.db.migrate import upgrade
from paperwire.db.session import make_engine
from paperwire.db.stats import store_stats
from paperwire.ingest.runner import run_ingest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "hf-daily-papers"


def main() -> None:
    data_dir = Path(tempfile.mkdtemp())
    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    start = time.perf_counter()
    first = run_ingest(engine, "hf-daily", [str(DATA)], settings, on_error=print)
    seconds = time.perf_counter() - start
    second = run_ingest(engine, "hf-daily", [str(DATA)], settings)
    stats = store_stats(engine)
    print(
        f"read {first.read} items in {seconds:.2f} s ({first.read / seconds:.0f}/s), skipped {first.errors}; "
        f"papers {stats['papers']}, daily entries {stats['daily_entries']}, days {stats['first_day']}..{stats['last_day']}; "
        f"second run: {second.counts.papers_new} new papers, {second.counts.daily_new} new entries"
    )


if __name__ == "__main__":
    main()
