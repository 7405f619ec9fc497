"""`paperwire claims extract INPUT.jsonl --json`: one line per input, in order, exact substrings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "benchmarks" / "claims" / "labels.jsonl"


def run(*args: str, stdin: str | None = None, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "paperwire", "claims", "extract", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_one_line_per_input_in_order_with_exact_substrings(tmp_path: Path) -> None:
    records = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()[:40]]
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(json.dumps({k: r[k] for k in ("id", "title", "abstract")}) + "\n" for r in records),
        encoding="utf-8",
    )
    done = run(str(source), "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in records]
    assert sum(len(line["claims"]) for line in lines) > 20
    for line, record in zip(lines, records, strict=True):
        for claim in line["claims"]:
            assert claim["text"] in record["abstract"]
            assert set(claim) >= {"text", "unit", "kind", "direction"}
            assert ("value" in claim) != ("value_min" in claim and "value_max" in claim)
            assert ("unit_text" in claim) == (claim["unit"] == "absolute")


def test_bad_lines_are_reported_with_their_number_and_the_rest_printed(tmp_path: Path) -> None:
    source = tmp_path / "mixed.jsonl"
    source.write_text(
        '{"id": "a", "title": "t", "abstract": "We propose X, which is 2x faster."}\n'
        "not json\n"
        '{"id": "b", "title": "t"}\n'
        "\n"
        '{"id": "c", "title": "t", "abstract": "No numbers here."}\n',
        encoding="utf-8",
    )
    done = run(str(source), "--json")
    assert done.returncode == 1
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ["a", "c"]
    errors = done.stderr.strip().splitlines()
    assert errors[0] == f"{source}:2: not JSON (Expecting value)"
    assert errors[1] == f"{source}:3: id b: field 'abstract': missing or not a string"
    assert "Traceback" not in done.stderr


def test_reads_standard_input() -> None:
    done = run("-", "--json", stdin='{"id": 7, "abstract": "We cut memory by 61%."}\n')
    assert done.returncode == 0, done.stderr
    claim = json.loads(done.stdout)["claims"][0]
    assert (json.loads(done.stdout)["id"], claim["value"], claim["kind"]) == (7, 61.0, "memory")


def test_starts_without_heavy_imports() -> None:
    done = run("-", "--json", stdin='{"id": 1, "abstract": "We are 2x faster."}\n', importtime=True)
    assert done.returncode == 0
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "paperwire.claims.extract" in imported
    assert not {"sqlalchemy", "numpy", "pydantic"} & imported
