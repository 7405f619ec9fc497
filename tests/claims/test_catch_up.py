"""A bulk load through the CLI leaves no paper without its claims: `ingest` ends with the catch-up."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from paperwire.claims import store
from paperwire.claims.models import PaperClaim
from paperwire.cli import cli

ABSTRACT = (
    "We propose KVQuant{n}, which reduces memory usage by {m}% and runs 2.5x faster than FlashAttention."
)


def test_a_bulk_ingest_returns_with_every_abstract_extracted(tmp_path: Path) -> None:
    papers = 1_200  # over the 1,000 abstracts a batch extracts inline
    source = tmp_path / "bulk.jsonl"
    with source.open("w") as fh:
        for i in range(papers):
            record = {
                "id": f"2501.{i:05d}",
                "title": f"Bulk paper {i}",
                "abstract": ABSTRACT.format(n=i, m=10 + i % 80),
                "authors": ["A. Author"],
            }
            fh.write(json.dumps(record) + "\n")
    db = f"sqlite:///{tmp_path / 'store.db'}"
    args = [
        "--db",
        db,
        "--data-dir",
        str(tmp_path),
        "ingest",
        "jsonl",
        str(source),
        "--batch-size",
        "5000",
        "-q",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    engine = create_engine(db)
    assert store.pending(engine) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(PaperClaim)).scalar_one() == 2 * papers
    engine.dispose()
