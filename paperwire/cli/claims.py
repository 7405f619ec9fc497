"""Commands for quantitative claims: `claims extract` (and the store's commands, in the same group)."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import click


@click.group("claims")
def claims() -> None:
    """Quantitative claims in abstracts ("2x faster", "-61% memory"): extract them, store them."""


def _claims_line(raw: str) -> dict[str, Any]:
    """One input line's output; raises ValueError naming the field that is wrong."""
    from paperwire.claims import extract_claims

    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    abstract = record.get("abstract")
    if not isinstance(abstract, str):
        raise ValueError("field 'abstract': missing or not a string")
    return {"id": record.get("id"), "claims": [c.as_json() for c in extract_claims(abstract)]}


@claims.command("extract")
@click.argument("input_file", metavar="INPUT.jsonl", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="One JSON line per input line (the only format today).")
def extract(input_file: TextIO, as_json: bool) -> None:
    """Print the claims of each abstract in INPUT.jsonl (lines of {"id", "title", "abstract"}).

    Output: one line per input line, in order, {"id": ..., "claims": [{"text", "value" or
    "value_min"/"value_max", "unit", "kind", "direction"}]}; "text" is an exact substring of the
    abstract. A bad line is reported on stderr as one line (FILE:LINE: id ID: reason) and skipped;
    the exit status is then 1. Use `-` to read standard input.
    """
    name = getattr(input_file, "name", "-")
    bad = 0
    out = sys.stdout
    for number, raw in enumerate(input_file, 1):
        if not raw.strip():
            continue
        try:
            result = _claims_line(raw)
        except ValueError as exc:
            bad += 1
            ident = _id_of(raw)
            where = f"{name}:{number}:" + (f" id {ident}:" if ident is not None else "")
            click.echo(f"{where} {exc}", err=True)
            continue
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    if bad:
        raise click.ClickException(f"{bad} bad line(s) in {name} skipped")


def _id_of(raw: str) -> object:
    try:
        record = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return record.get("id") if isinstance(record, dict) else None


COMMANDS: list[click.Command] = [claims]
