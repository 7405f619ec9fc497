"""Fuse keyword (BM25) and semantic scores into one ranking.

Plain reciprocal rank fusion of BM25 and MiniLM reaches 0.718 nDCG@10 on SciFact test; it throws away how
*much* better one candidate is than the next. We instead score the union of both candidate lists with
both signals (BM25 of a semantic candidate is computed by the keyword index, the semantic score of a keyword
candidate from its stored vectors) and rank by ``weight * bm25 / max_bm25 + (1 - weight) * semantic``,
where ``semantic`` blends the paper vector's cosine with its best title or sentence's (``blend``). On
SciFact's train split (only) this beat min-max or z-score scaling of either signal, adding RRF terms, a
logistic regression over eight such features and pseudo-relevance feedback; depth 50-200 made no
difference. The weights are ``search_hybrid_weight`` and ``search_sentence_weight``;
``benchmarks/scifact.py`` searches both on train and prints the test numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def fuse(
    keyword: Mapping[int, float], semantic: Mapping[int, float], weight: float
) -> list[tuple[int, float]]:
    """Rank the union of candidates by ``weight * bm25 / max_bm25 + (1 - weight) * cosine``, best first.

    ``keyword`` holds BM25 scores of the candidates that match the query's words (absent: no match, 0);
    ``semantic`` the semantic score of each candidate that has vectors (absent: 0). BM25 is divided by the
    query's best score because its scale grows with the query's length; the cosine is already on a
    fixed scale. Ties break on the smaller paper id, so the order is deterministic.
    """
    ids = list(dict.fromkeys([*keyword, *semantic]))
    top = max(keyword.values(), default=0.0)
    scale = weight / top if top > 0 else 0.0
    scored = [(pid, scale * keyword.get(pid, 0.0) + (1.0 - weight) * semantic.get(pid, 0.0)) for pid in ids]
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
