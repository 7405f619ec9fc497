"""Wall time of `paperwire --help` and `paperwire stats`, median of N runs, alternating two checkouts.

    python benchmarks/cli_startup.py --runs 5 [--baseline /path/to/other/checkout]

Each run is a fresh interpreter (`python -m paperwire ...`) with PYTHONPATH set to the checkout; with
--baseline the two checkouts alternate run by run, so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (["--help"], ["stats"])


def wall(checkout: Path, args: list[str], data_dir: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout), "PAPERWIRE_DATA_DIR": data_dir}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "paperwire", *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout to time alternately")
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    checkouts = {"this": here} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    with tempfile.TemporaryDirectory() as data_dir:
        wall(here, ["init"], data_dir)
        for command in COMMANDS:
            times: dict[str, list[float]] = {name: [] for name in checkouts}
            for _ in range(args.runs):
                for name, checkout in checkouts.items():
                    times[name].append(wall(checkout, command, data_dir))
            line = ", ".join(f"{name} {statistics.median(t) * 1000:.0f} ms" for name, t in times.items())
            print(f"paperwire {' '.join(command)}: median of {args.runs}: {line}")


if __name__ == "__main__":
    main()
