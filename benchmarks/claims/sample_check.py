"""Draws a fresh check sample for the claims extractor: abstracts not in labels.jsonl, another seed.

Three quarters of each source are drawn among abstracts that speak of efficiency at least twice (speed,
memory, energy, latency, throughput, FLOPs, cost, compute), like the page of computation-overhead papers
the project grew from; the rest among all. The sample is labelled by another hand than labels.jsonl and
used only to check how the rules generalise (split "check").

    python benchmarks/claims/sample_check.py ../shared/data > benchmarks/claims/sample_check.jsonl
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

from sample import arxiv_daily, hf_daily  # type: ignore[import-not-found]

SEED = 1402
PER_SOURCE = 40
EFFICIENT_SHARE = 30
EFFICIENCY = re.compile(
    r"\b(speed\w*|faster|accelerat\w*|memory|energy|power|latency|throughput|FLOPs?|cost\w*|compute|"
    r"computation\w*|overhead|GPU hours)\b",
    re.I,
)


def draw(pool: dict[str, dict[str, str]], rng: random.Random, taken: set[str]) -> list[dict[str, str]]:
    ids = sorted(set(pool) - taken)
    efficient = [i for i in ids if len(EFFICIENCY.findall(pool[i]["abstract"])) >= 2]
    chosen = rng.sample(efficient, EFFICIENT_SHARE)
    rest = sorted(set(ids) - set(chosen))
    chosen += rng.sample(rest, PER_SOURCE - len(chosen))
    taken.update(chosen)
    return [pool[i] for i in chosen]


def main(data: Path) -> None:
    labelled = Path(__file__).parent / "labels.jsonl"
    taken = {json.loads(line)["id"] for line in labelled.read_text(encoding="utf-8").splitlines()}
    rng = random.Random(SEED)
    records = draw(arxiv_daily(data / "arxiv-daily"), rng, taken) + draw(
        hf_daily(data / "hf-daily-papers"), rng, taken
    )
    rng.shuffle(records)
    for r in records:
        sys.stdout.write(json.dumps({"split": "check", **r}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
