"""Score fusion by hand on tiny examples, and hybrid search on real papers."""

from __future__ import annotations

import re
import statistics

import pytest
from sqlalchemy import Engine, select

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.search.embed import Embedder
from paperwire.search.hybrid import fuse, reciprocal_rank_fusion
from paperwire.search.service import SearchService

Store = tuple[Settings, Engine]


def _z(values: list[float]) -> list[float]:
    mean, spread = statistics.fmean(values), statistics.pstdev(values)
    return [(v - mean) / spread for v in values]


def test_fusion_prefers_candidates_both_signals_like() -> None:
    bm25 = {1: 10.0, 2: 9.0, 3: 1.0}
    cosine = {1: 0.20, 2: 0.60, 3: 0.62, 4: 0.61}
    fused = dict(fuse(bm25, cosine, 0.5))
    zb, zc = _z([10.0, 9.0, 1.0, 0.0]), _z([0.20, 0.60, 0.62, 0.61])
    for i, pid in enumerate((1, 2, 3, 4)):
        assert fused[pid] == pytest.approx(0.5 * zb[i] + 0.5 * zc[i])
    # 2 is near the top of both; 1 tops BM25 but is far in meaning
    assert [pid for pid, _ in fuse(bm25, cosine, 0.5)] == [2, 3, 4, 1]


def test_fusion_weight_moves_between_the_two_rankings() -> None:
    bm25 = {1: 3.0, 2: 2.0, 3: 1.0}
    cosine = {1: 0.1, 2: 0.2, 3: 0.3}
    assert [p for p, _ in fuse(bm25, cosine, 1.0)] == [1, 2, 3]
    assert [p for p, _ in fuse(bm25, cosine, 0.0)] == [3, 2, 1]


def test_each_signal_counts_by_how_far_it_separates_the_candidates() -> None:
    """Scaling either signal (a longer query's larger BM25, cosines bunched together) changes nothing."""
    bm25 = {1: 3.0, 2: 2.5, 3: 1.0}
    cosine = {1: 0.40, 2: 0.44, 3: 0.45}
    scaled = fuse({p: 7 * s for p, s in bm25.items()}, {p: 0.1 + s / 4 for p, s in cosine.items()}, 0.4)
    plain = fuse(bm25, cosine, 0.4)
    assert [p for p, _ in scaled] == [p for p, _ in plain]
    assert [s for _, s in scaled] == pytest.approx([s for _, s in plain])


def test_a_signal_that_is_the_same_everywhere_adds_nothing_and_ties_break_on_id() -> None:
    assert [p for p, _ in fuse({}, {9: 0.4, 8: 0.4}, 0.5)] == [8, 9]
    fused = fuse({}, {9: 0.2, 8: 0.4}, 0.5)
    assert [p for p, _ in fused] == [8, 9]
    assert [s for _, s in fused] == pytest.approx([0.5, -0.5])


def test_reciprocal_rank_fusion_by_hand() -> None:
    fused = dict(reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2] == pytest.approx(1 / 62)


def test_an_abstracts_first_sentence_finds_its_paper(small_store: Store, embedder: Embedder) -> None:
    settings, engine = small_store
    service = SearchService(settings, engine, embedder=embedder)
    with engine.connect() as conn:
        rows = conn.execute(select(Paper.arxiv_id, Paper.abstract).order_by(Paper.id).limit(8)).all()
    semantic_top5 = 0
    for arxiv_id, abstract in rows:
        sentence = abstract.split(". ")[0]
        for mode in ("hybrid", "keyword"):
            result = service.search(sentence, mode=mode, limit=5)
            assert result.mode == mode
            assert result.hits[0].arxiv_id == arxiv_id, (mode, sentence)
        semantic = service.search(sentence, mode="semantic", limit=5)
        semantic_top5 += arxiv_id in [h.arxiv_id for h in semantic.hits]
    assert semantic_top5 >= 6  # one sentence of forty similar abstracts: the model alone is good, not perfect


def test_semantic_and_hybrid_respect_filters(small_store: Store, embedder: Embedder) -> None:
    settings, engine = small_store
    service = SearchService(settings, engine, embedder=embedder)
    with engine.connect() as conn:
        categories = dict(conn.execute(select(Paper.arxiv_id, Paper.categories)).all())
        texts = {
            a: re.findall(r"\w+", f"{t} {b}".lower())
            for a, t, b in conn.execute(select(Paper.arxiv_id, Paper.title, Paper.abstract))
        }
    primary = [cats[0] for cats in categories.values()]
    category = max(sorted(set(primary)), key=primary.count)
    in_category = {a for a, cats in categories.items() if category in cats}
    assert 0 < len(in_category) < len(categories)
    for mode in ("semantic", "hybrid"):
        result = service.search(f"learning models cat:{category}", mode=mode, limit=50)
        assert {h.arxiv_id for h in result.hits} == in_category  # all of them: semantic matches everything
        excluded = service.search("learning models -learning", mode=mode, limit=50)
        without = {a for a, words in texts.items() if not any(w.startswith("learn") for w in words)}
        assert {h.arxiv_id for h in excluded.hits} == without
