"""Draws a fresh check sample for the claims extractor: abstracts not in labels.jsonl, another seed.

Three quarters of each source are drawn among abstracts that speak of efficiency at least twice (speed,
memory, energy, latency, throughput, FLOPs, cost, compute), like the page of computation-overhead papers
the project grew from; the rest among all. The sample is labelled by another hand than labels.jsonl and
used only to check how the rules generalise (split "check").

    python benchmarks/claims/sample_check.py ../shared/data > benchmarks/claims/sample_check.jsonl
    python benchmarks/claims/sample_check.py ../shared/data --holdout >> benchmarks/claims/sample_check.jsonl
    python benchmarks/claims/sample_check.py ../shared/data --holdout --holdout >> benchmarks/claims/sample_check.jsonl

The rules were revised after scoring the first 80 (split "check"), so those no longer measure
generalisation; ``--holdout`` then draws 30 more, all efficiency-weighted, with another seed, labelled
before the revised extractor was run on them (split "check-holdout"). The rules were revised again after
scoring those, so ``--holdout --holdout`` draws 20 more (split "check-holdout2"), labelled before the final
extractor was run on them and not used to change it.
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
HOLDOUTS = [(1403, 15, "check-holdout"), (1404, 10, "check-holdout2"), (1405, 10, "check-holdout3")]
EFFICIENCY = re.compile(
    r"\b(speed\w*|faster|accelerat\w*|memory|energy|power|latency|throughput|FLOPs?|cost\w*|compute|"
    r"computation\w*|overhead|GPU hours)\b",
    re.I,
)


def draw(
    pool: dict[str, dict[str, str]], rng: random.Random, taken: set[str], size: int, efficient_share: int
) -> list[dict[str, str]]:
    ids = sorted(set(pool) - taken)
    efficient = [i for i in ids if len(EFFICIENCY.findall(pool[i]["abstract"])) >= 2]
    chosen = rng.sample(efficient, efficient_share)
    rest = sorted(set(ids) - set(chosen))
    chosen += rng.sample(rest, size - len(chosen))
    taken.update(chosen)
    return [pool[i] for i in chosen]


def main(data: Path, holdout: int) -> None:
    here = Path(__file__).parent
    taken = {
        json.loads(line)["id"] for line in (here / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    }
    sources = [arxiv_daily(data / "arxiv-daily"), hf_daily(data / "hf-daily-papers")]
    rng = random.Random(SEED)
    records = [r for pool in sources for r in draw(pool, rng, taken, PER_SOURCE, EFFICIENT_SHARE)]
    rng.shuffle(records)
    split = "check"
    for seed, per_source, name in HOLDOUTS[:holdout]:
        rng = random.Random(seed)
        records = [r for pool in sources for r in draw(pool, rng, taken, per_source, per_source)]
        rng.shuffle(records)
        split = name
    for r in records:
        sys.stdout.write(json.dumps({"split": split, **r}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:].count("--holdout"))
