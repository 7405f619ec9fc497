"""Search quality on SciFact and NFCorpus (BEIR): the product's three modes against plain baselines.

    python benchmarks/search_quality.py [--data ../shared/data] [--dir /tmp/search/idx] [--split test]

Needs ``bm25s`` and ``PyStemmer`` (``pip install bm25s PyStemmer``: benchmark-only, not product
dependencies). Each collection is loaded into a scratch store under ``--dir/NAME`` and indexed by the
product's own indexer (``paperwire.search.evaluate``): embedding takes many minutes on 2 cores, and a rerun
reuses the store. For each collection it prints nDCG@10 of

- keyword, semantic and hybrid, each through ``SearchService.search`` (what ``paperwire eval beir`` runs);
- plain bm25s: stemmed (PyStemmer English), stopwords "en", title and abstract in one field, k1 1.5, b 0.75;
- plain RRF (k = 60) of that bm25s list and the MiniLM list (the paper vectors' own top 100);

on the split's own queries ("short") and on paragraph queries built from the same judgments ("long"): for
each judged query with two or more relevant documents, the first relevant document's abstract (its first
150 words, at least 50) asks for the query's other relevant documents; that document itself is dropped
from every ranking.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from sqlalchemy import select

from paperwire.config import load_settings
from paperwire.db.models import Paper
from paperwire.search.embed import load_embedder
from paperwire.search.evaluate import DEPTH, BeirCollection, load_beir, scratch_service, synthetic_id
from paperwire.search.hybrid import reciprocal_rank_fusion
from paperwire.search.metrics import mean_metrics
from paperwire.search.service import SearchService

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COLLECTIONS = ("scifact", "nfcorpus")
LONG_WORDS = (50, 150)

QuerySet = tuple[dict[str, str], dict[str, dict[str, int]], dict[str, str]]  # queries, qrels, excluded


def long_queries(collection: BeirCollection) -> QuerySet:
    """Paragraph queries from the judgments (see the module's docstring)."""
    abstracts = {doc: text for doc, _, text in collection.documents}
    queries, qrels, excluded = {}, {}, {}
    for qid, judged in sorted(collection.qrels.items()):
        relevant = sorted(doc for doc, grade in judged.items() if grade > 0 and doc in abstracts)
        if len(relevant) < 2:
            continue
        words = abstracts[relevant[0]].split()
        if len(words) < LONG_WORDS[0]:
            continue
        key = f"long-{qid}"
        queries[key] = " ".join(words[: LONG_WORDS[1]])
        qrels[key] = {doc: grade for doc, grade in judged.items() if doc != relevant[0]}
        excluded[key] = relevant[0]
    return queries, qrels, excluded


class PlainBM25:
    """bm25s as its README sets it up, over title and abstract in one field."""

    def __init__(self, collection: BeirCollection) -> None:
        self.ids = [doc for doc, _, _ in collection.documents]
        self.stemmer = Stemmer.Stemmer("english")
        texts = [f"{title} {text}" for _, title, text in collection.documents]
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.vocab = tokens.vocab
        self.model = bm25s.BM25()
        self.model.index(tokens, show_progress=False)

    def search(self, text: str) -> list[str]:
        query = bm25s.tokenize([text], stopwords="en", stemmer=self.stemmer, show_progress=False)
        words = {i: w for w, i in query.vocab.items()}
        known = [words[i] for i in query.ids[0] if words[i] in self.vocab]
        if not known:
            return []
        scores = self.model.get_scores(known)
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        return [self.ids[i] for i in top if scores[i] > 0]


def ndcg(runs: dict[str, list[str]], query_set: QuerySet) -> float:
    _, qrels, excluded = query_set
    kept = {q: [d for d in ranked if d != excluded.get(q)] for q, ranked in runs.items()}
    return round(mean_metrics(kept, qrels)["ndcg@10"], 4)


def product_runs(
    service: SearchService, collection: BeirCollection, queries: dict[str, str], mode: str
) -> tuple[dict[str, list[str]], float]:
    back = {synthetic_id(n): doc for n, (doc, _, _) in enumerate(collection.documents)}
    runs, started = {}, time.perf_counter()
    for qid, text in queries.items():
        result = service.search(text, mode=mode, limit=DEPTH)
        assert result.mode == mode, result.mode
        runs[qid] = [back[h.arxiv_id] for h in result.hits]
    return runs, (time.perf_counter() - started) * 1000 / max(1, len(queries))


def minilm_runs(
    service: SearchService, collection: BeirCollection, queries: dict[str, str]
) -> dict[str, list[str]]:
    """Each query's nearest paper vectors, no sentence re-scoring: the plain dense list."""
    vectors, embedder = service.vectors(), service.embedder()
    assert vectors is not None and embedder is not None
    position = {synthetic_id(n): doc for n, (doc, _, _) in enumerate(collection.documents)}
    with service.engine.connect() as conn:
        back = {pid: position[aid] for pid, aid in conn.execute(select(Paper.id, Paper.arxiv_id))}
    return {
        qid: [back[pid] for pid, _ in vectors.search(embedder.encode_query(text), DEPTH)]
        for qid, text in queries.items()
    }


def rrf(first: dict[str, list[str]], second: dict[str, list[str]]) -> dict[str, list[str]]:
    out = {}
    for qid in first:
        names = {doc: i for i, doc in enumerate(dict.fromkeys([*first[qid], *second[qid]]))}
        fused = reciprocal_rank_fusion([[names[d] for d in first[qid]], [names[d] for d in second[qid]]])
        back = {i: doc for doc, i in names.items()}
        out[qid] = [back[i] for i, _ in fused[:DEPTH]]
    return out


def measure(service: SearchService, collection: BeirCollection) -> dict[str, dict[str, float]]:
    plain = PlainBM25(collection)
    sets: dict[str, QuerySet] = {
        "short": (collection.queries, collection.qrels, {}),
        "long": long_queries(collection),
    }
    table: dict[str, dict[str, float]] = {}
    for kind, query_set in sets.items():
        queries = query_set[0]
        row: dict[str, float] = {"queries": len(queries)}
        for mode in ("keyword", "semantic", "hybrid"):
            runs, ms = product_runs(service, collection, queries, mode)
            row[mode] = ndcg(runs, query_set)
            row[f"{mode}_ms"] = round(ms, 2)
        bm25 = {qid: plain.search(text) for qid, text in queries.items()}
        row["bm25s"] = ndcg(bm25, query_set)
        row["rrf_bm25s_minilm"] = ndcg(rrf(bm25, minilm_runs(service, collection, queries)), query_set)
        row["hybrid_vs_rrf"] = round(row["hybrid"] / row["rrf_bm25s_minilm"], 3)
        table[kind] = row
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/search/idx"))
    parser.add_argument("--split", default="test")
    parser.add_argument("--collections", default=",".join(COLLECTIONS))
    args = parser.parse_args()
    settings = load_settings()
    embedder = load_embedder(settings, device="cpu")
    report: dict[str, object] = {"split": args.split, "precision": settings.embed_precision}
    columns = ("keyword", "semantic", "hybrid", "bm25s", "rrf_bm25s_minilm", "hybrid_vs_rrf")
    lines = ["| collection | queries | n | " + " | ".join(columns) + " |", "|---" * (len(columns) + 3) + "|"]
    for name in args.collections.split(","):
        collection = load_beir(args.data / name, args.split)
        directory = args.dir / f"{name}-{settings.embed_precision}"
        directory.mkdir(parents=True, exist_ok=True)
        with scratch_service(
            settings, collection, embedder=embedder, progress=True, directory=directory
        ) as service:
            table = measure(service, collection)
        report[name] = table
        for kind, row in table.items():
            cells = " | ".join(str(row[c]) for c in columns)
            lines.append(f"| {name} | {kind} | {int(row['queries'])} | {cells} |")
        print(json.dumps({name: table}), flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
