"""Searches that used to come back empty or full of noise: unmatched quoted phrases, made-up words, and
keyword-only evaluation that embedded the corpus anyway; plus how repeated query words are weighted."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from paperwire.cli import cli
from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.search import indexer
from paperwire.search.embed import Embedder
from paperwire.search.evaluate import evaluate, load_beir
from paperwire.search.keyword import IndexedPaper, KeywordIndex
from paperwire.search.query import parse_query
from paperwire.search.service import NO_MATCH_FLOOR, SearchService

Store = tuple[Settings, Engine]
NONSENSE = "zzqxv qwrtplk vbnmxe"


def _a_title(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(Paper.title).order_by(Paper.id).limit(1)).scalar_one())


def test_a_phrase_no_paper_contains_falls_back_to_its_words(sample_store: Store) -> None:
    service = SearchService(*sample_store)
    query = 'papers like "Dynamic Storage Allocation" for video generation'
    assert not service.keyword.contains("Dynamic Storage Allocation")
    result = service.search(query, mode="keyword", limit=5)
    assert result.hits and result.total > 0
    assert result.notice is not None and '"Dynamic Storage Allocation"' in result.notice
    # a phrase that some paper contains stays required, and nothing is said
    kept = service.search('"video generation" model', mode="keyword", limit=50)
    assert kept.notice is None and kept.hits
    found = service.keyword.matching(parse_query('"video generation"'), [h.paper_id for h in kept.hits])
    assert found == {h.paper_id for h in kept.hits}


def test_hybrid_and_semantic_answer_an_unmatched_phrase_and_say_so(
    small_store: Store, embedder: Embedder
) -> None:
    settings, engine = small_store
    service = SearchService(settings, engine, embedder=embedder)
    title = _a_title(engine)
    query = f'papers like "{title} zzqxv" please'
    for mode in ("hybrid", "semantic", "keyword"):
        result = service.search(query, mode=mode, limit=5)
        assert result.mode == mode
        assert result.hits, mode
        assert result.notice and "zzqxv" in result.notice


def test_made_up_words_match_nothing_in_every_mode(small_store: Store, embedder: Embedder) -> None:
    settings, engine = small_store
    service = SearchService(settings, engine, embedder=embedder)
    for mode in ("hybrid", "semantic", "keyword"):
        result = service.search(NONSENSE, mode=mode)
        assert (result.total, result.hits, result.mode) == (0, [], mode)
    # the floor only applies when no word matches: a real title is never cut, nor its words misspelt
    title = _a_title(engine)
    assert service.search(title, mode="semantic").hits
    vectors = service.vectors()
    assert vectors is not None
    best = vectors.search(embedder.encode_query(NONSENSE), 1)[0][1]
    assert best < NO_MATCH_FLOOR


def test_the_cli_says_no_papers_match(tmp_path: Path, onnx_settings: Settings, small_store: Store) -> None:
    settings, _ = small_store
    shutil.copytree(onnx_settings.data_dir / "models", settings.data_dir / "models", dirs_exist_ok=True)
    args = ["--data-dir", str(settings.data_dir), "search", NONSENSE]
    result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert (payload["total"], payload["hits"], payload["mode"]) == (0, [], "hybrid")
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0 and "No papers match" in result.output


def test_keyword_evaluation_embeds_nothing(
    tiny_scifact: Path, onnx_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("keyword evaluation loaded the embedding model")

    monkeypatch.setattr(indexer, "load_embedder", refuse)
    monkeypatch.setattr("paperwire.search.service.load_embedder", refuse)
    collection = load_beir(tiny_scifact, "test")
    scores = evaluate(onnx_settings, collection, ["keyword"], embedder=None)["keyword"]
    assert scores["mode"] == "keyword" and float(scores["ndcg@10"]) > 0.5


def test_a_word_the_query_repeats_weighs_more(tmp_path: Path) -> None:
    """Each occurrence counts, as in Lucene's BM25: a paragraph-long query is about what it repeats."""
    index = KeywordIndex(tmp_path / "kw")
    day = dt.date(2025, 1, 1)
    index.upsert(
        [
            IndexedPaper(
                1, "2501.00001", "Protein folding", "Protein structure with protein models.", published=day
            ),
            IndexedPaper(
                2, "2501.00002", "Graph learning", "Graph networks on sparse data sets.", published=day
            ),
        ]
    )
    once = index.search(parse_query("protein graph"), limit=2)
    assert once.ids[0] == 1  # more "protein" in paper 1 than "graph" in paper 2
    repeated = index.search(parse_query("graph protein graph graph, again graph"), limit=2)
    assert repeated.ids[0] == 2
    assert repeated.scores[0] > once.scores[1]
