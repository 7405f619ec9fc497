"""The CLI contract: paperwire index / search / similar / eval beir."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import Engine, select

from paperwire.cli import cli
from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.ingest.runner import run_ingest

ListingSlice = Callable[[int, int], str]
StoreFactory = Callable[[Path], tuple[Settings, Engine]]


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], catch_exceptions=False)


def test_index_search_and_similar(
    tmp_path: Path, onnx_settings: Settings, listings: ListingSlice, store_factory: StoreFactory
) -> None:
    data = tmp_path / "data"
    settings, engine = store_factory(data)
    shutil.copytree(onnx_settings.data_dir / "models", data / "models")  # the exported model, reused

    result = run(data, "search", "anything")
    assert result.exit_code == 1 and "run `paperwire index` first" in result.output

    run_ingest(engine, "arxiv-daily", [listings(0, 25)], settings)
    result = run(data, "index", "--json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["keyword_indexed"] == counts["embedded"] == counts["vectors"] == 25

    with engine.connect() as conn:
        papers = conn.execute(select(Paper.arxiv_id, Paper.title).order_by(Paper.id)).all()
    for arxiv_id, title in papers[::6]:
        for mode in ("hybrid", "keyword", "semantic"):
            result = run(data, "search", title, "--mode", mode, "--limit", "3", "--json")
            assert result.exit_code == 0, result.output
            payload = json.loads(result.output)
            assert payload["mode"] == mode
            assert payload["hits"][0]["arxiv_id"] == arxiv_id
            assert payload["hits"][0]["title"] == title
            assert len(payload["hits"]) <= 3
    words = papers[0][1].split()[:4]
    result = run(data, "search", *words, "--limit", "2")  # several words without quotes: one query
    assert result.exit_code == 0 and papers[0][0] in result.output
    total = json.loads(run(data, "search", *words, "--json").output)["total"]
    assert total > 3
    assert f"1-2 of {total} results (hybrid" in result.output
    third = run(data, "search", *words, "--limit", "1", "--offset", "2").output
    assert f"3-3 of {total} results" in third and "│ 3 │" in third and "│ 1 │" not in third
    assert (
        f"none past {total} of {total} results" in run(data, "search", *words, "--offset", str(total)).output
    )

    result = run(data, "similar", papers[0][0], "--json")
    assert result.exit_code == 0, result.output
    similar = json.loads(result.output)["hits"]
    assert len(similar) == 10 and papers[0][0] not in [h["arxiv_id"] for h in similar]

    assert json.loads(run(data, "index", "--json").output)["papers_seen"] == 0
    assert json.loads(run(data, "index", "--rebuild", "--json").output)["embedded"] == 25

    for args, message in [
        (("search", "after:2025-02-30"), "Error: after: expects a date"),
        (("similar", "2001.99999"), "Error: no indexed paper 2001.99999"),
        (("search", "x", "--mode", "fuzzy"), "Invalid value for '--mode'"),
    ]:
        result = run(data, *args)
        assert result.exit_code != 0 and message in result.output, result.output
        assert "Traceback" not in result.output


def test_eval_beir_prints_the_three_metrics(tiny_scifact: Path, tmp_path: Path) -> None:
    directory = tiny_scifact
    result = run(tmp_path / "data", "eval", "beir", str(directory), "--mode", "keyword", "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert {"ndcg@10", "recall@100", "mrr@10"} <= scores.keys()
    assert scores["mode"] == "keyword" and scores["split"] == "test"
    assert 0.5 < scores["ndcg@10"] <= 1.0
    text = run(tmp_path / "data", "eval", "beir", str(directory), "--mode", "keyword").output
    assert "ndcg@10: " in text and "recall@100: " in text and "mrr@10: " in text
    result = run(tmp_path / "data", "eval", "beir", str(directory), "--split", "dev")
    assert result.exit_code == 1 and "qrels/dev.tsv is missing" in result.output
