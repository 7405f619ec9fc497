"""Turns the hand-written claims (labels.txt) into labels.jsonl, placing each claim in its abstract.

labels.txt holds, per abstract of sample.jsonl, "#N" and one line per claim:
``text | value (a..b for a range) | unit (x, %, count, abs:UNIT) | kind | direction``. The text is found in
the abstract allowing any run of whitespace where a space is written (abstracts are line-wrapped), after
the previous claim where possible, so every stored ``text`` is an exact substring at ``start:end``.

    python benchmarks/claims/build_labels.py
    python benchmarks/claims/build_labels.py --sample sample_check.jsonl --labels labels_check.txt \
        --out labels_check.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from paperwire.claims import DIRECTIONS, KINDS

HERE = Path(__file__).parent


def parse_blocks(text: str) -> dict[int, list[list[str]]]:
    blocks: dict[int, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for line in text.splitlines():
        if line.startswith("# ") or not line.strip():
            continue
        if re.fullmatch(r"#\d+", line):
            current = blocks.setdefault(int(line[1:]), [])
            continue
        if current is None:
            raise SystemExit(f"claim before any #N: {line}")
        fields = [f.strip() for f in line.split(" | ")]
        if len(fields) != 5:
            raise SystemExit(f"want 5 fields: {line}")
        current.append(fields)
    return blocks


def locate(abstract: str, text: str, after: int) -> tuple[int, int]:
    pattern = re.compile(r"\s+".join(re.escape(part) for part in text.split()))
    m = pattern.search(abstract, after) or pattern.search(abstract)
    if m is None:
        raise SystemExit(f"not in abstract: {text!r}")
    return m.start(), m.end()


def claim(abstract: str, fields: list[str], after: int) -> dict[str, Any]:
    text, value, unit, kind, direction = fields
    if kind not in KINDS or direction not in DIRECTIONS:
        raise SystemExit(f"bad kind/direction: {fields}")
    start, end = locate(abstract, text, after)
    out: dict[str, Any] = {"text": abstract[start:end], "start": start, "end": end}
    if ".." in value:
        low, high = value.split("..")
        out["value_min"], out["value_max"] = float(low), float(high)
    else:
        out["value"] = float(value)
    if unit.startswith("abs:"):
        out["unit"], out["unit_text"] = "absolute", unit[4:]
    elif unit in {"x", "%", "count"}:
        out["unit"] = unit
    else:
        raise SystemExit(f"bad unit: {fields}")
    out["kind"], out["direction"] = kind, direction
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", default="sample.jsonl", help="the drawn abstracts, in benchmarks/claims/")
    parser.add_argument(
        "--labels", default="labels.txt", help="the hand-written claims, in benchmarks/claims/"
    )
    parser.add_argument("--out", default="labels.jsonl", help="the output, in benchmarks/claims/")
    args = parser.parse_args()
    records = [json.loads(line) for line in (HERE / args.sample).read_text(encoding="utf-8").splitlines()]
    blocks = parse_blocks((HERE / args.labels).read_text(encoding="utf-8"))
    missing = sorted(set(range(len(records))) - set(blocks))
    if missing:
        raise SystemExit(f"abstracts without a #N block: {missing}")
    with (HERE / args.out).open("w", encoding="utf-8") as out:
        for n, record in enumerate(records):
            claims, after = [], 0
            for fields in blocks[n]:
                c = claim(record["abstract"], fields, after)
                after = c["end"]
                claims.append(c)
            claims.sort(key=lambda c: c["start"])
            out.write(json.dumps({**record, "claims": claims}, ensure_ascii=False) + "\n")
    total = sum(len(b) for b in blocks.values())
    sys.stdout.write(f"{len(records)} abstracts, {total} claims\n")


if __name__ == "__main__":
    main()
