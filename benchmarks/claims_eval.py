"""Scores the claims extractor against the hand-labelled set, next to a plain-regex baseline.

Claim finding: a predicted claim matches a labelled one when their spans share a digit (or a spelled-out
number), one to one. Reported: precision/recall/F1 of finding; F1 counting only matches whose unit, kind
and direction are all right; F1 on efficiency kinds (labelled and predicted claims of kinds speedup,
memory, energy, throughput, latency, cost, compute, matched by span); kind, direction and unit accuracy on
the matches; and extraction speed in abstracts/s on arxiv-daily.

    python benchmarks/claims_eval.py --split test [--speed ../shared/data/arxiv-daily] [--errors]
    python benchmarks/claims_eval.py --labels benchmarks/claims/labels_check.jsonl --split check-holdout
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paperwire.claims import extract_claims

LABELS = Path(__file__).parent / "claims" / "labels.jsonl"
EFFICIENCY = {"speedup", "memory", "energy", "throughput", "latency", "cost", "compute"}
_NUMBERISH = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twice|halv\w*|doubl\w*|third|order)(?:\b|(?=fold))",
    re.I,
)

Extractor = Callable[[str], list[dict[str, Any]]]


def ours(abstract: str) -> list[dict[str, Any]]:
    return [{**c.as_json(), "start": c.start, "end": c.end} for c in extract_claims(abstract)]


_PLAIN = re.compile(r"[-+]?\d+(?:[.,]\d+)*\s*(?P<unit>%|\\%|x\b|×|times\b|[KMB]\b)?")
_PLAIN_KINDS = [
    ("speedup", re.compile(r"faster|speed", re.I)),
    ("memory", re.compile(r"memory", re.I)),
    ("energy", re.compile(r"energy|power", re.I)),
    ("latency", re.compile(r"latency", re.I)),
    ("throughput", re.compile(r"throughput", re.I)),
    ("cost", re.compile(r"cost", re.I)),
    ("compute", re.compile(r"flops|compute|computation", re.I)),
    ("accuracy", re.compile(r"accuracy", re.I)),
]


def plain_regex(abstract: str) -> list[dict[str, Any]]:
    """The baseline: every number is a claim; unit from its suffix; kind and direction from a word nearby."""
    out = []
    for m in _PLAIN.finditer(abstract):
        unit = {"%": "%", "\\%": "%", "x": "x", "×": "x", "times": "x"}.get(m.group("unit") or "", "count")
        near = abstract[max(0, m.start() - 30) : m.end() + 30]
        kind = next((k for k, p in _PLAIN_KINDS if p.search(near)), "other")
        direction = (
            "reduce"
            if re.search(r"reduc|lower|less|fewer", near, re.I)
            else "improve"
            if re.search(r"improv|faster|higher|increas|outperform", near, re.I)
            else "neutral"
        )
        out.append({"start": m.start(), "end": m.end(), "unit": unit, "kind": kind, "direction": direction})
    return out


def _match(abstract: str, gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> list[tuple[int, int]]:
    pairs = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            lo, hi = max(g["start"], p["start"]), min(g["end"], p["end"])
            if lo < hi and _NUMBERISH.search(abstract[lo:hi]):
                pairs.append((hi - lo, gi, pi))
    used_g, used_p, out = set(), set(), []
    for _, gi, pi in sorted(pairs, key=lambda t: (-t[0], t[1], t[2])):
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            out.append((gi, pi))
    return out


def _same_value(gold: dict[str, Any], pred: dict[str, Any]) -> bool:
    keys = ("value",) if "value" in gold else ("value_min", "value_max")
    return all(
        isinstance(pred.get(k), float | int) and abs(pred[k] - gold[k]) <= 1e-6 * max(1.0, abs(gold[k]))
        for k in keys
    )


def _f1(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(2 * p * r / (p + r) if p + r else 0.0, 3),
    }


def score(records: list[dict[str, Any]], extractor: Extractor, errors: bool = False) -> dict[str, Any]:
    n_gold = n_pred = tp = full = kind_ok = dir_ok = unit_ok = value_ok = 0
    eff_gold = eff_pred = eff_tp = 0
    for r in records:
        gold, pred = r["claims"], extractor(r["abstract"])
        pairs = _match(r["abstract"], gold, pred)
        n_gold, n_pred, tp = n_gold + len(gold), n_pred + len(pred), tp + len(pairs)
        for gi, pi in pairs:
            g, p = gold[gi], pred[pi]
            kind_ok += g["kind"] == p["kind"]
            dir_ok += g["direction"] == p["direction"]
            unit_ok += g["unit"] == p["unit"]
            value_ok += _same_value(g, p)
            full += (g["unit"], g["kind"], g["direction"]) == (p["unit"], p["kind"], p["direction"])
            if errors and (g["unit"], g["kind"], g["direction"]) != (p["unit"], p["kind"], p["direction"]):
                print(
                    f"LABEL {r['id']}: {g['text']!r} {g['unit']}/{g['kind']}/{g['direction']}"
                    f" <- {p.get('text', '')!r} {p['unit']}/{p['kind']}/{p['direction']}"
                )
        if errors:
            for gi in sorted(set(range(len(gold))) - {g for g, _ in pairs}):
                print(f"MISS  {r['id']}: {gold[gi]['text']!r}")
            for pi in sorted(set(range(len(pred))) - {p for _, p in pairs}):
                print(f"EXTRA {r['id']}: {pred[pi].get('text', '')!r}")
        eg = [i for i, g in enumerate(gold) if g["kind"] in EFFICIENCY]
        ep = [i for i, p in enumerate(pred) if p["kind"] in EFFICIENCY]
        eff_gold, eff_pred = eff_gold + len(eg), eff_pred + len(ep)
        eff_tp += len(_match(r["abstract"], [gold[i] for i in eg], [pred[i] for i in ep]))
    return {
        "abstracts": len(records),
        "gold_claims": n_gold,
        "predicted": n_pred,
        "finding": _f1(tp, n_pred, n_gold),
        "full_label": _f1(full, n_pred, n_gold),
        "efficiency": _f1(eff_tp, eff_pred, eff_gold),
        "kind_accuracy": round(kind_ok / tp, 3) if tp else 0.0,
        "direction_accuracy": round(dir_ok / tp, 3) if tp else 0.0,
        "unit_accuracy": round(unit_ok / tp, 3) if tp else 0.0,
        "value_accuracy": round(value_ok / tp, 3) if tp else 0.0,
    }


def speed(folder: Path, limit: int) -> dict[str, float]:
    abstracts: list[str] = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            abstracts.extend(json.loads(line)["summary"] for line in f)
        if len(abstracts) >= limit:
            break
    abstracts = abstracts[:limit]
    began = time.perf_counter()
    claims = sum(len(extract_claims(a)) for a in abstracts)
    seconds = time.perf_counter() - began
    return {
        "abstracts": len(abstracts),
        "seconds": round(seconds, 2),
        "abstracts_per_s": round(len(abstracts) / seconds, 1),
        "claims_per_abstract": round(claims / len(abstracts), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--split",
        default="test",
        help="dev, test (labels.jsonl); check, check-holdout (labels_check.jsonl); all",
    )
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--errors", action="store_true", help="print every miss, extra and wrong label")
    parser.add_argument("--speed", type=Path, help="an arxiv-daily folder: measure abstracts/s on it")
    parser.add_argument("--speed-limit", type=int, default=20000)
    args = parser.parse_args()
    records = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines()]
    if args.split != "all":
        records = [r for r in records if r.get("split", "test") == args.split]
    result: dict[str, Any] = {"split": args.split, "extractor": score(records, ours, args.errors)}
    result["plain_regex"] = score(records, plain_regex)
    if args.speed:
        result["speed"] = speed(args.speed, args.speed_limit)
    sys.stdout.write(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
