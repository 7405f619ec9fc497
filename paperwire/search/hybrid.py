"""Fuse keyword (BM25) and semantic scores into one ranking.

Both candidate lists are scored by both signals (BM25 of a semantic candidate is computed by the keyword
index, the semantic score of a keyword candidate from its stored vectors), and the union is ranked by
``weight * z(bm25) + (1 - weight) * z(semantic)``, each signal standardised over this query's candidates
(minus their mean, over their standard deviation), where ``semantic`` blends the paper vector's cosine
with its best title or sentence's (``blend``).

Standardising per query is what makes one weight serve short and paragraph-long queries alike: a long
query's BM25 spreads its candidates far apart while its cosines bunch together (MiniLM reads 256 tokens
and averages them), a short query's the other way round, so each signal weighs as much as it separates
the candidates. Dividing BM25 by the query's best (the earlier fusion) kept cosines on their raw scale,
which let the semantic side drown BM25 on long queries: there it fell below plain reciprocal rank fusion.
The weights (``search_hybrid_weight``, ``search_sentence_weight``) were chosen on SciFact train and
NFCorpus train+dev together, short and long queries (``benchmarks/search_quality.py``,
docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np


def _standardised(scores: np.ndarray) -> np.ndarray:
    spread = float(scores.std())
    return (scores - scores.mean()) / spread if spread > 0 else np.zeros_like(scores)


def fuse(
    keyword: Mapping[int, float], semantic: Mapping[int, float], weight: float
) -> list[tuple[int, float]]:
    """Rank the union of candidates by ``weight * z(bm25) + (1 - weight) * z(semantic)``, best first.

    ``keyword`` holds BM25 scores of the candidates that match the query's words (absent: no match, 0);
    ``semantic`` the semantic score of each candidate that has vectors (absent: 0). A signal that is the
    same for every candidate (no word matched any) adds nothing. Ties break on the smaller paper id, so
    the order is deterministic.
    """
    ids = list(dict.fromkeys([*keyword, *semantic]))
    bm25 = _standardised(np.array([keyword.get(pid, 0.0) for pid in ids], dtype=np.float64))
    cosine = _standardised(np.array([semantic.get(pid, 0.0) for pid in ids], dtype=np.float64))
    fused = (weight * bm25 + (1.0 - weight) * cosine).tolist()
    scored = list(zip(ids, fused, strict=True))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored


def blend(cosine: Mapping[int, float], best_unit: Mapping[int, float], weight: float) -> dict[int, float]:
    """``(1 - weight) * cosine + weight * best_unit`` per candidate: the paper's own vector against its
    best-matching title or sentence (``sentences.py``); without unit vectors a paper keeps its cosine."""
    return {pid: (1.0 - weight) * score + weight * best_unit.get(pid, score) for pid, score in cosine.items()}


def reciprocal_rank_fusion(rankings: Iterable[list[int]], k: int = 60) -> list[tuple[int, float]]:
    """The textbook baseline the benchmark compares against: sum of 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(ranking):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
