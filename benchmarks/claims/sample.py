"""Draws the abstracts of the claims labelled set, reproducibly, and fixes its dev/test split.

Half of each source is drawn among abstracts that speak of efficiency (speed, memory, energy, latency,
throughput, FLOPs, cost), the other half among all, so efficiency claims are well represented. The split
is fixed here, before any labelling or tuning: every third abstract of the shuffled draw is test.

    python benchmarks/claims/sample.py ../shared/data > benchmarks/claims/sample.jsonl
"""

from __future__ import annotations

import ast
import gzip
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

SEED = 14
PER_SOURCE = 160
EFFICIENCY = re.compile(
    r"\b(speed|faster|speedup|memory|energy|latency|throughput|FLOPs?|efficien\w*|cost|GPU hours)\b", re.I
)


def arxiv_daily(folder: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                if r.get("summary"):
                    out.setdefault(r["id"], {"id": r["id"], "title": r["title"], "abstract": r["summary"]})
    return out


def hf_daily(folder: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.json")):
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("data", [])
        for item in data:
            if isinstance(item, str):
                item = ast.literal_eval(item)
            paper = item.get("paper", {})
            if paper.get("summary"):
                pid = paper["id"]
                out.setdefault(
                    pid, {"id": pid, "title": paper.get("title", ""), "abstract": paper["summary"]}
                )
    return out


def draw(pool: dict[str, dict[str, str]], rng: random.Random, taken: set[str]) -> list[dict[str, str]]:
    ids = sorted(set(pool) - taken)
    efficient = [i for i in ids if EFFICIENCY.search(pool[i]["abstract"])]
    chosen = rng.sample(efficient, PER_SOURCE // 2)
    rest = sorted(set(ids) - set(chosen))
    chosen += rng.sample(rest, PER_SOURCE - len(chosen))
    taken.update(chosen)
    return [pool[i] for i in chosen]


def main(data: Path) -> None:
    rng = random.Random(SEED)
    taken: set[str] = set()
    records = draw(arxiv_daily(data / "arxiv-daily"), rng, taken) + draw(
        hf_daily(data / "hf-daily-papers"), rng, taken
    )
    rng.shuffle(records)
    for n, r in enumerate(records):
        r = {"split": "test" if n % 3 == 2 else "dev", **r}
        sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
