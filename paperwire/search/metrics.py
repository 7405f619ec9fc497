"""Ranking metrics as BEIR and TREC define them: nDCG@k (graded gains, log2 discount), Recall@k, MRR@k.

Kept apart from the evaluation runner so they can be checked by hand on tiny examples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at_k(ranked: Sequence[str], relevance: Mapping[str, int], k: int) -> float:
    """DCG of the first ``k`` results over the DCG of the ideal order; 0 when nothing is relevant."""
    dcg = sum(
        relevance.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]) if doc in relevance
    )
    ideal_gains = sorted((g for g in relevance.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal_gains))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], relevance: Mapping[str, int], k: int) -> float:
    relevant = {doc for doc, g in relevance.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], relevance: Mapping[str, int], k: int) -> float:
    for rank, doc in enumerate(ranked[:k]):
        if relevance.get(doc, 0) > 0:
            return 1.0 / (rank + 1)
    return 0.0


def mean_metrics(
    runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]
) -> dict[str, float]:
    """Averages over every judged query (a judged query with no results counts as zero)."""
    queries = [q for q, rels in qrels.items() if any(g > 0 for g in rels.values())]
    if not queries:
        raise ValueError("no judged queries with a relevant document")
    n = len(queries)
    return {
        "ndcg@10": sum(ndcg_at_k(runs.get(q, []), qrels[q], 10) for q in queries) / n,
        "recall@100": sum(recall_at_k(runs.get(q, []), qrels[q], 100) for q in queries) / n,
        "mrr@10": sum(mrr_at_k(runs.get(q, []), qrels[q], 10) for q in queries) / n,
    }
