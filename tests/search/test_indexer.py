"""The indexer on real papers: incremental catch-up, resuming after a crash, rebuild == incremental."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select, update

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.ingest.runner import run_ingest
from paperwire.search import indexer
from paperwire.search.embed import Embedder
from paperwire.search.keyword import KeywordIndex
from paperwire.search.sentences import SentenceStore
from paperwire.search.service import SearchService
from paperwire.search.vectors import VectorIndex

Store = tuple[Settings, Engine]
ListingSlice = Callable[[int, int], str]
StoreFactory = Callable[[Path], Store]


def titles(engine: Engine, ids: Sequence[str] | None = None) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(Paper.arxiv_id, Paper.title)).all()
    return {a: t for a, t in rows if ids is None or a in ids}


def snapshot(
    settings: Settings,
) -> tuple[dict[int, dict[str, object]], dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Everything the indexes hold: stored keyword documents, every vector and every paper's unit vectors."""
    docs = KeywordIndex(indexer.keyword_dir(settings)).all_documents()
    vectors = VectorIndex.open(indexer.vector_dir(settings), 384)
    sentences = SentenceStore.open(indexer.sentence_dir(settings), 384)
    ids = sorted(docs)
    return docs, dict(zip(ids, vectors.get(ids), strict=True)), {pid: sentences.units(pid) for pid in ids}


def test_new_papers_are_found_without_a_rebuild(
    small_store: Store, embedder: Embedder, listings: ListingSlice
) -> None:
    settings, engine = small_store
    service = SearchService(settings, engine, embedder=embedder)
    before = titles(engine)
    run_ingest(engine, "arxiv-daily", [listings(40, 60)], settings)
    added = {a: t for a, t in titles(engine).items() if a not in before}
    assert len(added) == 20
    for title in list(added.values())[:5]:  # not indexed yet
        assert not {h.arxiv_id for h in service.search(title).hits} & added.keys()

    counts = service.update()
    assert counts["keyword_indexed"] == 20 and counts["embedded"] == 20
    assert counts["vectors"] == counts["keyword_documents"] == 60
    for arxiv_id, title in list(added.items())[:5]:
        for mode in ("keyword", "hybrid", "semantic"):
            result = service.search(title, mode=mode, limit=3)
            assert result.mode == mode
            assert result.hits[0].arxiv_id == arxiv_id, (mode, title)
    assert service.update()["papers_seen"] == 0  # nothing new: nothing done


def test_a_rebuilt_index_equals_an_incrementally_built_one(
    small_store: Store, embedder: Embedder, listings: ListingSlice
) -> None:
    settings, engine = small_store
    run_ingest(engine, "arxiv-daily", [listings(40, 52)], settings)
    with engine.begin() as conn:  # a metadata change and a text change, as later ingests make them
        seq = conn.execute(select(func.max(Paper.change_seq))).scalar_one() + 1
        conn.execute(
            update(Paper).where(Paper.id == 3).values(code_urls=["https://github.com/a/b"], change_seq=seq)
        )
        conn.execute(update(Paper).where(Paper.id == 5).values(abstract="A new abstract.", change_seq=seq))
    counts = indexer.catch_up(settings, engine, embedder=embedder)
    assert counts["keyword_indexed"] == 14
    assert counts["embedded"] == 13  # the 12 new papers and the changed abstract, not the metadata change
    incremental = snapshot(settings)

    counts = indexer.rebuild(settings, engine, embedder=embedder)
    assert counts["keyword_indexed"] == counts["embedded"] == 52
    rebuilt = snapshot(settings)
    assert incremental[0] == rebuilt[0]
    assert incremental[1].keys() == rebuilt[1].keys()
    for pid, vector in incremental[1].items():
        np.testing.assert_allclose(vector, rebuilt[1][pid], atol=1e-5)
    for pid, units in incremental[2].items():
        assert units.shape == rebuilt[2][pid].shape and len(units) >= 1
        np.testing.assert_allclose(units, rebuilt[2][pid], atol=1.5 / 127)  # int8: one step either way
    assert rebuilt[0][5]["abstract"] == ["A new abstract."]
    assert len(rebuilt[2][5]) == 2  # its title and its one new sentence


class Crashing:
    """Wraps the real embedder and fails on its n-th batch, like a killed `paperwire index`."""

    def __init__(self, inner: Embedder, fail_on: int) -> None:
        self.inner, self.fail_on, self.calls = inner, fail_on, 0
        self.name, self.dim = inner.name, inner.dim

    def encode_documents(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_on:
            raise KeyboardInterrupt
        return self.inner.encode_documents(texts, batch_size=batch_size, progress=progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self.inner.encode_query(text)


def test_an_interrupted_index_resumes_where_it_stopped(
    tmp_path: Path, embedder: Embedder, listings: ListingSlice, store_factory: StoreFactory
) -> None:
    settings, engine = store_factory(tmp_path / "store")
    settings = settings.model_copy(update={"index_batch_size": 10})
    run_ingest(engine, "arxiv-daily", [listings(0, 35)], settings)
    crashing = Crashing(embedder, fail_on=3)
    with pytest.raises(KeyboardInterrupt):
        indexer.catch_up(settings, engine, embedder=crashing)
    state = indexer.IndexState.load(indexer.index_root(settings))
    assert state.vector_seq > 0 and state.keyword_seq > 0
    assert len(KeywordIndex(indexer.keyword_dir(settings))) == 20
    counts = indexer.catch_up(settings, engine, embedder=embedder)
    assert counts["papers_seen"] == 15 and counts["embedded"] == 15
    resumed = snapshot(settings)

    indexer.rebuild(settings, engine, embedder=embedder)
    rebuilt = snapshot(settings)
    assert resumed[0] == rebuilt[0]
    for pid, vector in resumed[1].items():
        np.testing.assert_allclose(vector, rebuilt[1][pid], atol=1e-5)
        np.testing.assert_allclose(resumed[2][pid], rebuilt[2][pid], atol=1.5 / 127)


def test_without_the_model_keyword_indexing_goes_on_and_vectors_catch_up_later(
    tmp_path: Path, embedder: Embedder, listings: ListingSlice, store_factory: StoreFactory
) -> None:
    settings, engine = store_factory(tmp_path / "store")
    run_ingest(engine, "arxiv-daily", [listings(0, 12)], settings)
    counts = indexer.catch_up(settings, engine, use_model=False)
    assert counts["semantic_unavailable"] == 1 and counts["keyword_indexed"] == 12
    service = SearchService(settings, engine, embedder=embedder)
    title = next(iter(titles(engine).values()))
    result = service.search(title)
    assert result.mode.startswith("keyword (hybrid unavailable")
    assert result.hits

    counts = indexer.catch_up(settings, engine, embedder=embedder)
    assert counts["embedded"] == 12 and counts["keyword_indexed"] == 0
    assert service.search(title).mode == "hybrid"
