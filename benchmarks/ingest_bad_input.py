"""What hostile input costs an ingest: peak memory with a 50 MB record, and the price of the field checks.

    python benchmarks/ingest_bad_input.py [--files N]

1. Writes a JSON Lines file of 2,000 good records with a 50 MB abstract on line 1,000, runs
   ``paperwire ingest jsonl`` on it in a child process and reports its exit status, what it stored
   and the child's peak resident memory (the line is refused unread, so memory stays flat).
2. Parses the first N files of ../shared/data/arxiv-daily with ``arxiv_daily.parse_line`` (field
   checks included) and reports microseconds per record, best of three.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paperwire.ingest import arxiv_daily

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-daily"


def huge_record_run() -> None:
    folder = Path(tempfile.mkdtemp())
    src = folder / "big.jsonl"
    with src.open("w") as out:
        for n in range(1, 2001):
            abstract = "x" * (50_000_000 if n == 1000 else 100)
            out.write(
                json.dumps({"id": f"2401.{n:05d}", "title": "T", "authors": ["A"], "abstract": abstract})
                + "\n"
            )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "paperwire", "--data-dir", str(folder), "ingest", "jsonl", str(src), "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"50 MB record among 2,000: exit {proc.returncode}, {seconds:.1f} s, peak RSS {peak_mb:.0f} MB")
    print("  " + proc.stdout.strip())
    print("  " + proc.stderr.strip().splitlines()[0])


def parse_cost(files: int) -> None:
    paths = sorted(DATA.iterdir())[:files]
    lines = [
        (line.decode(), f"{p}:{i}")
        for p in paths
        for i, line in enumerate(gzip.decompress(p.read_bytes()).splitlines(), 1)
    ]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for line, where in lines:
            arxiv_daily.parse_line(line, where)
        best = min(best, time.perf_counter() - start)
    print(f"arxiv-daily parse: {len(lines)} records, {best / len(lines) * 1e6:.1f} us/record (best of 3)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=60)
    args = parser.parse_args()
    huge_record_run()
    parse_cost(args.files)


if __name__ == "__main__":
    main()
