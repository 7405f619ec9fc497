"""Title and sentence vectors: splitting, the on-disk store, and what the indexer and search make of them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.search import indexer, ondisk
from paperwire.search.embed import Embedder
from paperwire.search.sentences import MAX_UNITS, SentenceStore, paper_units, paper_vector
from paperwire.search.service import SearchService

Store = tuple[Settings, Engine]
ListingSlice = Callable[[int, int], str]


def unit_rows(count: int, seed: int, dim: int = 384) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_paper_is_its_title_then_each_sentence() -> None:
    units = paper_units(
        "Attention  Is All\nYou Need",
        "We propose the Transformer. It uses attention only, e.g. no recurrence! Does it work? (Yes) 28.4 BLEU.",
    )
    assert units == [
        "Attention Is All You Need",
        "We propose the Transformer.",
        "It uses attention only, e.g. no recurrence!",
        "Does it work?",
        "(Yes) 28.4 BLEU.",
    ]
    assert paper_units("Title only", "") == ["Title only"]
    long = paper_units("T", " ".join(f"Sentence {i}." for i in range(100)))
    assert len(long) == MAX_UNITS and long[-1].startswith(f"Sentence {MAX_UNITS - 2}.")
    assert long[-1].endswith("Sentence 99.")  # nothing dropped: the rest joins the last unit


def test_the_paper_vector_is_its_title_plus_the_mean_of_its_sentences() -> None:
    rows = unit_rows(4, 0)
    expected = rows[0] + rows[1:].mean(axis=0)
    np.testing.assert_allclose(paper_vector(rows), expected / np.linalg.norm(expected), atol=1e-6)
    np.testing.assert_allclose(paper_vector(rows[:1]), rows[0], atol=1e-6)


def test_store_answers_each_papers_best_unit_and_survives_reopening(tmp_path: Path) -> None:
    store = SentenceStore.open(tmp_path, 384)
    papers = {7: unit_rows(5, 1), 3: unit_rows(2, 2), 11: unit_rows(9, 3)}
    store.add(list(papers), list(papers.values()))
    assert not store.has(7)  # queued, not saved
    store.save()
    query = unit_rows(1, 4)[0]
    exact = {pid: float((rows @ query).max()) for pid, rows in papers.items()}
    for answer in (
        store.best([11, 3, 7, 99], query),
        SentenceStore.open(tmp_path, 384).best([3, 7, 11], query),
    ):
        assert answer.keys() == exact.keys()
        for pid, score in answer.items():
            assert abs(score - exact[pid]) < 0.01  # int8
    np.testing.assert_allclose(store.units(3), papers[3], atol=0.005)


def test_a_paper_embedded_again_keeps_only_its_new_units(tmp_path: Path) -> None:
    store = SentenceStore.open(tmp_path, 384)
    store.add([1, 2], [unit_rows(3, 5), unit_rows(3, 6)])
    store.save()
    store.add([1], [unit_rows(2, 7)])
    store.add([1], [unit_rows(4, 8)])  # twice in one save: the later wins
    store.save()
    reopened = SentenceStore.open(tmp_path, 384)
    assert len(reopened) == 2
    np.testing.assert_allclose(reopened.units(1), unit_rows(4, 8), atol=0.005)
    np.testing.assert_allclose(reopened.units(2), unit_rows(3, 6), atol=0.005)


def test_a_save_cut_short_leaves_the_last_complete_one(tmp_path: Path) -> None:
    store = SentenceStore.open(tmp_path, 384)
    store.add([1], [unit_rows(3, 9)])
    store.save()
    with (tmp_path / "units.i8").open("ab") as fh:  # a crash after appending, before the manifest
        fh.write(b"\x01" * 384 * 5)
    with (tmp_path / "blocks.i64").open("ab") as fh:
        fh.write(np.asarray([2, 3, 5], dtype=np.int64).tobytes())
    reopened = SentenceStore.open(tmp_path, 384)
    assert len(reopened) == 1 and not reopened.has(2)
    reopened.add([2], [unit_rows(2, 10)])
    reopened.save()
    again = SentenceStore.open(tmp_path, 384)
    np.testing.assert_allclose(again.units(1), unit_rows(3, 9), atol=0.005)
    np.testing.assert_allclose(again.units(2), unit_rows(2, 10), atol=0.005)


def test_indexing_stores_every_sentence_and_search_scores_them(
    small_store: Store, embedder: Embedder
) -> None:
    settings, engine = small_store
    service = SearchService(settings, engine, embedder=embedder)
    with engine.connect() as conn:
        papers = conn.execute(select(Paper.id, Paper.arxiv_id, Paper.title, Paper.abstract)).all()
    store = service.sentences()
    assert store is not None and len(store) == len(papers)
    for pid, arxiv_id, title, abstract in papers[:8]:
        units = paper_units(title, abstract)
        assert len(store.units(pid)) == len(units)
        sentence = max(units[1:], key=len)  # a sentence of the abstract, not its title
        assert store.best([pid], embedder.encode_query(sentence))[pid] > 0.97
        assert service.search(sentence, mode="semantic", limit=1).hits[0].arxiv_id == arxiv_id


def test_vectors_without_sentences_are_made_again(small_store: Store, embedder: Embedder) -> None:
    """An index from before sentence vectors (or with its sentence store deleted) is embedded again."""
    settings, engine = small_store
    shutil.rmtree(indexer.sentence_dir(settings))
    counts = indexer.catch_up(settings, engine, embedder=embedder)
    assert counts["embedded"] == counts["vectors"] == counts["keyword_documents"]
    assert len(SentenceStore.open(indexer.sentence_dir(settings), 384)) == counts["vectors"]


def test_dead_rows_are_compacted_away_and_readers_of_the_old_files_keep_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ondisk, "COMPACT_MIN_DEAD", 20)
    store = SentenceStore.open(tmp_path, 384)
    papers = {pid: unit_rows(2 + pid % 5, pid) for pid in range(1, 41)}
    store.add(list(papers), list(papers.values()))
    store.save()
    old_reader = SentenceStore.open(tmp_path, 384)
    query = unit_rows(1, 999)[0]
    old_best = old_reader.best(list(papers), query)
    for round_ in (1, 2):  # papers embedded again: their earlier rows die
        again = {pid: unit_rows(1 + (pid + round_) % 4, 1000 * round_ + pid) for pid in range(1, 31)}
        store.add(list(again), list(again.values()))
        papers.update(again)
        store.save()
    live_rows = sum(len(rows) for rows in papers.values())
    names = sorted(p.name for p in tmp_path.iterdir())
    assert store.dead_rows < 0.3 * live_rows
    reopened = SentenceStore.open(tmp_path, 384)
    assert json.loads((tmp_path / "index.json").read_text())["generation"] >= 1
    assert "units.i8" not in names and names == sorted(["index.json", *(n for n in names if "-" in n)])
    assert len(names) == 3  # the manifest and one generation's two logs
    for current in (store, reopened):
        assert len(current) == 40 and current.dead_rows == store.dead_rows
        for pid, rows in papers.items():
            np.testing.assert_allclose(current.units(pid), rows, atol=0.005)
    exact = {pid: float((rows @ query).max()) for pid, rows in papers.items()}
    assert all(abs(score - exact[pid]) < 0.01 for pid, score in reopened.best(list(papers), query).items())
    assert old_reader.best(list(papers), query) == old_best  # its files were unlinked, not overwritten


def test_a_compaction_cut_short_leaves_the_old_generation_in_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ondisk, "COMPACT_MIN_DEAD", 1)
    store = SentenceStore.open(tmp_path, 384)
    store.add([1, 2], [unit_rows(3, 1), unit_rows(3, 2)])
    store.save()
    (tmp_path / "units-1.i8").write_bytes(b"\x07" * 384 * 2)  # a crash before the manifest named them
    (tmp_path / "blocks-1.i64").write_bytes(np.asarray([1, 0, 2], dtype=np.int64).tobytes())
    reopened = SentenceStore.open(tmp_path, 384)
    np.testing.assert_allclose(reopened.units(1), unit_rows(3, 1), atol=0.005)
    reopened.add([1], [unit_rows(2, 3)])  # 3 dead rows: compacts into generation 1 over the leftovers
    reopened.save()
    final = SentenceStore.open(tmp_path, 384)
    np.testing.assert_allclose(final.units(1), unit_rows(2, 3), atol=0.005)
    np.testing.assert_allclose(final.units(2), unit_rows(3, 2), atol=0.005)
    assert final.dead_rows == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocks-1.i64", "index.json", "units-1.i8"]
