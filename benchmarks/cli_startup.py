"""Wall and CPU time of `paperwire --help` and `paperwire stats`, median of N runs, alternating two checkouts.

    python benchmarks/cli_startup.py --runs 5 [--baseline /path/to/other/checkout] [--data-dir DIR]

Each run is a fresh interpreter (`python -m paperwire ...`) with PYTHONPATH set to the checkout; with
--baseline the two checkouts alternate run by run, so machine noise hits both alike. CPU time (user +
system of the child) is the figure to trust on a loaded machine, where wall time is mostly waiting.
`stats` counts an empty store, or the one in --data-dir (e.g. after `paperwire load-sample`).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (["--help"], ["stats"])


def timed(checkout: Path, args: list[str], data_dir: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one run."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "PAPERWIRE_DATA_DIR": data_dir}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = [sys.executable, "-m", "paperwire", *args]
    subprocess.run(run, env=env, check=True, capture_output=True, cwd=data_dir)  # -m puts the cwd first
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout to time alternately")
    parser.add_argument(
        "--data-dir", type=Path, help="an existing store to count (default: a new, empty one)"
    )
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    checkouts = {"this": here} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = str(args.data_dir.resolve()) if args.data_dir else scratch
        timed(here, ["init"], data_dir)
        for command in COMMANDS:
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
            for _ in range(args.runs):
                for name, checkout in checkouts.items():
                    times[name].append(timed(checkout, command, data_dir))
            line = ", ".join(
                f"{name} wall {statistics.median(w for w, _ in t) * 1000:.0f} ms"
                f" / CPU {statistics.median(c for _, c in t) * 1000:.0f} ms"
                for name, t in times.items()
            )
            print(f"paperwire {' '.join(command)}: median of {args.runs}: {line}")


if __name__ == "__main__":
    main()
