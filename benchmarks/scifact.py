"""Search quality on BEIR SciFact: keyword, semantic and hybrid, with the hybrid weight tuned on train only.

    python benchmarks/scifact.py [--data ../shared/data/scifact] [--dir DIR]

The corpus (5,183 abstracts) is loaded into a scratch store and indexed by the product's own indexer
(``paperwire.search.evaluate``): the embedding takes minutes on 2 cores; ``--dir`` keeps the indexed
store so a rerun embeds nothing. Then:
1. on the **train** split (809 queries), the hybrid weight ``w`` of
   ``w * z(bm25) + (1 - w) * z(semantic)`` (``hybrid.fuse``) (over 0, 0.025, ..., 1) and the sentence weight ``s``
   of ``semantic = (1 - s) * cosine + s * best unit's cosine`` (over 0, 0.1, ..., 1) are searched on
   the same candidates the service uses (``search_candidates`` from each side); ``s = 0`` (each paper's
   own vector only) and plain reciprocal rank fusion (k = 60) are scored as baselines;
2. on the **test** split (300 queries), every mode is run through ``SearchService.search`` with the
   weights found on train, the paper-vector-only baseline too, and RRF again, in the same process.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

from paperwire.config import load_settings
from paperwire.db.models import Paper
from paperwire.search.embed import load_embedder
from paperwire.search.evaluate import (
    DEPTH,
    BeirCollection,
    load_beir,
    run_queries,
    scratch_service,
    synthetic_id,
)
from paperwire.search.hybrid import blend, fuse, reciprocal_rank_fusion
from paperwire.search.metrics import mean_metrics
from paperwire.search.query import ParsedQuery
from paperwire.search.service import SearchService

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"


Candidates = dict[str, tuple[dict[int, float], dict[int, float], dict[int, float], list[int], list[int]]]


def candidates(service: SearchService, collection: BeirCollection) -> Candidates:
    """Per query: BM25, cosine and best unit's cosine of every candidate, and the two rankings (for RRF)."""
    vectors = service.vectors()
    sentences = service.sentences()
    embedder = service.embedder()
    assert vectors is not None and sentences is not None and embedder is not None
    depth = service.settings.search_candidates
    out = {}
    for qid, text in collection.queries.items():
        parsed = ParsedQuery(raw=text, terms=text.split())
        kw = service.keyword.search(parsed, limit=depth)
        query = embedder.encode_query(text)
        near = vectors.search(query, depth)
        bm25 = dict(zip(kw.ids, kw.scores, strict=True))
        cosine = dict(near)
        bm25.update(service.keyword.scores(parsed, [p for p in cosine if p not in bm25]))
        missing = [p for p in bm25 if p not in cosine]
        if missing:
            cosine.update(zip(missing, (vectors.get(missing) @ query).tolist(), strict=True))
        out[qid] = (bm25, cosine, sentences.best(list(cosine), query), kw.ids, [p for p, _ in near])
    return out


def score(
    collection: BeirCollection, ranked: dict[str, list[tuple[int, float]]], back: dict[int, str]
) -> dict[str, float]:
    runs = {q: [back[p] for p, _ in r[:DEPTH]] for q, r in ranked.items()}
    return mean_metrics(runs, collection.qrels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/paperwire-scifact"))
    args = parser.parse_args()
    settings = load_settings()
    train = load_beir(args.data, "train")
    test = load_beir(args.data, "test")
    embedder = load_embedder(settings, device="cpu")
    args.dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {"corpus": len(test.documents), "train_queries": len(train.queries)}
    started = time.perf_counter()
    with scratch_service(settings, test, embedder=embedder, progress=True, directory=args.dir) as service:
        report["index_s"] = round(time.perf_counter() - started, 1)
        with service.engine.connect() as conn:
            ids = dict(conn.execute(select(Paper.id, Paper.arxiv_id)).all())
        position = {synthetic_id(n): doc for n, (doc, _, _) in enumerate(test.documents)}
        back = {pid: position[aid] for pid, aid in ids.items()}

        cands = candidates(service, train)
        grid = []
        for unit in np.round(np.arange(0, 1.0001, 0.1), 3):
            for weight in np.round(np.arange(0, 1.0001, 0.025), 3):
                ranked = {
                    q: fuse(b, blend(c, u, float(unit)), float(weight))
                    for q, (b, c, u, _, _) in cands.items()
                }
                grid.append((score(train, ranked, back)["ndcg@10"], float(weight), float(unit)))
        best_train, weight, unit = max(grid)
        paper_only_train, paper_only_weight, _ = max(g for g in grid if g[2] == 0)
        rrf_train = score(
            train, {q: reciprocal_rank_fusion([k, s]) for q, (_, _, _, k, s) in cands.items()}, back
        )
        report["train"] = {
            "best_weight": weight,
            "best_sentence_weight": unit,
            "hybrid_ndcg@10": round(best_train, 4),
            "paper_vectors_only": {"weight": paper_only_weight, "ndcg@10": round(paper_only_train, 4)},
            "rrf_ndcg@10": round(rrf_train["ndcg@10"], 4),
            "grid": {f"w={w:.3f} s={u:.1f}": round(n, 4) for n, w, u in sorted(grid, key=lambda g: g[1:])},
        }
        print(json.dumps({"train": report["train"]}), flush=True)

        results: dict[str, dict[str, float]] = {}
        service.settings = service.settings.model_copy(
            update={"search_hybrid_weight": paper_only_weight, "search_sentence_weight": 0.0}
        )
        for mode in ("semantic", "hybrid"):  # the baseline: each paper's own vector only
            runs, _ = run_queries(service, test, mode)
            metrics = mean_metrics(runs, test.qrels)
            results[f"{mode}_paper_vectors_only"] = {k: round(v, 4) for k, v in metrics.items()}
        service.settings = service.settings.model_copy(
            update={"search_hybrid_weight": weight, "search_sentence_weight": unit}
        )
        for mode in ("keyword", "semantic", "hybrid"):
            t0 = time.perf_counter()
            runs, used = run_queries(service, test, mode)
            took = (time.perf_counter() - t0) * 1000 / len(runs)
            metrics = mean_metrics(runs, test.qrels)
            results[mode] = {k: round(v, 4) for k, v in metrics.items()} | {"ms_per_query": round(took, 2)}
            assert used == mode, used
        test_cands = candidates(service, test)
        rrf = score(
            test, {q: reciprocal_rank_fusion([k, s]) for q, (_, _, _, k, s) in test_cands.items()}, back
        )
        results["rrf_baseline"] = {k: round(v, 4) for k, v in rrf.items()}
        report["test"] = results
        report["hybrid_vs_rrf"] = round(results["hybrid"]["ndcg@10"] / rrf["ndcg@10"], 3)
        report["hybrid_vs_keyword"] = round(results["hybrid"]["ndcg@10"] / results["keyword"]["ndcg@10"], 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
