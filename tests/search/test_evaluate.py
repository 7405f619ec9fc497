"""Metrics checked by hand, and the BEIR runner on a tiny real slice of SciFact."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.papers.ids import parse_arxiv_id
from paperwire.search.embed import Embedder
from paperwire.search.evaluate import BeirError, evaluate, load_beir, synthetic_id
from paperwire.search.metrics import mean_metrics, mrr_at_k, ndcg_at_k, recall_at_k


def test_ndcg_by_hand() -> None:
    rels = {"a": 1, "b": 2}
    # ranked b, x, a: DCG = 2/log2(2) + 1/log2(4) = 2.5; ideal b, a: 2 + 1/log2(3)
    assert ndcg_at_k(["b", "x", "a"], rels, 10) == pytest.approx(2.5 / (2 + 1 / math.log2(3)))
    assert ndcg_at_k(["b", "a"], rels, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], rels, 10) == 0.0
    assert ndcg_at_k(["x", "b"], rels, 1) == 0.0


def test_recall_and_mrr_by_hand() -> None:
    rels = {"a": 1, "b": 1, "c": 0}
    assert recall_at_k(["c", "a", "x"], rels, 100) == 0.5
    assert recall_at_k(["x", "a", "b"], rels, 2) == 0.5
    assert mrr_at_k(["c", "x", "b"], rels, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["c", "x", "b"], rels, 2) == 0.0


def test_mean_counts_unanswered_queries_as_zero() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    means = mean_metrics({"q1": ["a"]}, qrels)
    assert means == {"ndcg@10": 0.5, "recall@100": 0.5, "mrr@10": 0.5}


def test_synthetic_ids_are_arxiv_ids() -> None:
    assert parse_arxiv_id(synthetic_id(42)) == ("beir/0000042", None)


def test_a_tiny_scifact_slice_scores_well_in_every_mode(
    tiny_scifact: Path, onnx_settings: Settings, embedder: Embedder
) -> None:
    collection = load_beir(tiny_scifact, "test")
    assert len(collection.queries) == 6
    assert all(d for q in collection.qrels.values() for d in q)
    results = evaluate(onnx_settings, collection, ["keyword", "semantic", "hybrid"], embedder=embedder)
    for mode, scores in results.items():
        assert scores["mode"] == mode
        assert scores["queries"] == 6
        if mode != "keyword":  # fewer than 100 documents, all of them have a cosine: all are ranked
            assert scores["recall@100"] == 1.0
        assert 0.5 < float(scores["ndcg@10"]) <= 1.0


def test_bad_collections_are_reported_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(BeirError, match=r"qrels/test\.tsv is missing"):
        load_beir(tmp_path, "test")
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n1\t2\n")
    with pytest.raises(BeirError, match=r"test.tsv:2: expected query-id, corpus-id and score"):
        load_beir(tmp_path, "test")
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n1\t2\t1\n")
    (tmp_path / "corpus.jsonl").write_text('{"_id": "2", "title": "t", "text": "x"}\nnot json\n')
    with pytest.raises(BeirError, match=r"corpus.jsonl:2: not JSON"):
        load_beir(tmp_path, "test")


def test_a_query_that_is_a_document_does_not_find_itself(tmp_path: Path, onnx_settings: Settings) -> None:
    """As in ArguAna, where each query is an argument of the corpus: BEIR leaves the query's own id out."""
    (tmp_path / "qrels").mkdir()
    argument = "Capital gains taxes should be abolished because they discourage long term investment."
    (tmp_path / "corpus.jsonl").write_text(
        json.dumps({"_id": "a1", "title": "", "text": argument})
        + "\n"
        + json.dumps({"_id": "a2", "title": "", "text": "Taxes on capital gains fund public investment."})
        + "\n"
        + json.dumps({"_id": "a3", "title": "", "text": "Stock options vest over four years."})
        + "\n"
    )
    (tmp_path / "queries.jsonl").write_text(json.dumps({"_id": "a1", "text": argument}) + "\n")
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\na1\ta2\t1\n")
    results = evaluate(onnx_settings, load_beir(tmp_path, "test"), ["keyword"], embedder=None)
    assert results["keyword"]["mrr@10"] == 1.0  # a2 first: a1 itself, the best match, is not counted
