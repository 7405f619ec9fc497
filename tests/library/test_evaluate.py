from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.library.evaluate import ndcg_at, recall_at


def test_metrics_on_a_hand_checked_example() -> None:
    ranked = [5, 1, 7, 2, 9]
    relevant = {1, 2, 3}
    assert recall_at(ranked, relevant, k=2) == pytest.approx(1 / 3)
    assert recall_at(ranked, relevant, k=5) == pytest.approx(2 / 3)
    # hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal (3 relevant): 1 + 1/log2(3) + 1/log2(4)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 0.5
    assert ndcg_at(ranked, relevant, k=5) == pytest.approx(dcg / ideal)
    assert ndcg_at([1, 2, 3], relevant, k=20) == pytest.approx(1.0)
    assert ndcg_at([4, 5], relevant) == 0.0
    assert recall_at([1], set()) == 0.0
    # a perfect ranking cut at k: the ideal DCG only counts k places
    assert ndcg_at([1, 2], {1, 2, 3}, k=2) == pytest.approx(1.0)


@pytest.mark.slow
def test_eval_command_on_a_slice_of_arxiv_daily(shared_data: Path, tmp_path: Path) -> None:
    files = sorted((shared_data / "arxiv-daily").glob("*.jsonl.gz"))[:8]
    slice_dir = tmp_path / "slice"
    slice_dir.mkdir()
    for path in files:
        (slice_dir / path.name).symlink_to(path)
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(tmp_path / "data"),
            "eval",
            "recommend",
            str(slice_dir),
            "--json",
            "--no-embeddings",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("recommender", "nearest", "recency"):
        assert set(data[key]) >= {"recall@20", "ndcg@20"}
        assert 0 <= data[key]["recall@20"] <= 1 and 0 <= data[key]["ndcg@20"] <= 1
    assert data["files"] == 8 and data["evaluated_authors"] > 0
    assert data["recommender"]["ndcg@20"] > data["recency"]["ndcg@20"]


def test_eval_command_rejects_a_directory_without_listings(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "eval", "recommend", str(tmp_path), "--json"]
    )
    assert result.exit_code == 1
    assert "no .jsonl.gz listing files" in result.output
