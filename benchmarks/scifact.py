"""Search quality on BEIR SciFact: keyword, semantic and hybrid, with the hybrid weight tuned on train only.

    python benchmarks/scifact.py [--data ../shared/data/scifact] [--dir DIR]

The corpus (5,183 abstracts) is loaded into a scratch store and indexed by the product's own indexer
(``paperwire.search.evaluate``): the embedding takes minutes on 2 cores; ``--dir`` keeps the indexed
store so a rerun embeds nothing. Then:
1. on the **train** split (809 queries), the hybrid weight ``w`` of
   ``w * bm25 / max_bm25 + (1 - w) * cosine`` is searched over 0, 0.025, ..., 1 on the same candidates
   the service uses (``search_candidates`` from each side), and plain reciprocal rank fusion (k = 60)
   is scored as the baseline;
2. on the **test** split (300 queries), every mode is run through ``SearchService.search`` with the
   weight found on train, and RRF again, so the ratio hybrid / RRF is measured in the same process.
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
from paperwire.search.hybrid import fuse, reciprocal_rank_fusion
from paperwire.search.metrics import mean_metrics
from paperwire.search.query import ParsedQuery
from paperwire.search.service import SearchService

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"


def candidates(
    service: SearchService, collection: BeirCollection
) -> dict[str, tuple[dict[int, float], dict[int, float], list[int], list[int]]]:
    """Per query: BM25 and cosine of every candidate, and the two rankings (for RRF)."""
    vectors = service.vectors()
    embedder = service.embedder()
    assert vectors is not None and embedder is not None
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
        out[qid] = (bm25, cosine, kw.ids, [p for p, _ in near])
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
        for weight in np.round(np.arange(0, 1.0001, 0.025), 3):
            ranked = {q: fuse(b, c, float(weight)) for q, (b, c, _, _) in cands.items()}
            grid.append((score(train, ranked, back)["ndcg@10"], float(weight)))
        best_train, weight = max(grid)
        rrf_train = score(
            train, {q: reciprocal_rank_fusion([k, s]) for q, (_, _, k, s) in cands.items()}, back
        )
        report["train"] = {
            "best_weight": weight,
            "hybrid_ndcg@10": round(best_train, 4),
            "rrf_ndcg@10": round(rrf_train["ndcg@10"], 4),
            "grid": {f"{w:.3f}": round(n, 4) for n, w in sorted(grid, key=lambda g: g[1])},
        }
        print(json.dumps({"train": report["train"]}), flush=True)

        service.settings = service.settings.model_copy(update={"search_hybrid_weight": weight})
        results: dict[str, dict[str, float]] = {}
        for mode in ("keyword", "semantic", "hybrid"):
            t0 = time.perf_counter()
            runs, used = run_queries(service, test, mode)
            took = (time.perf_counter() - t0) * 1000 / len(runs)
            metrics = mean_metrics(runs, test.qrels)
            results[mode] = {k: round(v, 4) for k, v in metrics.items()} | {"ms_per_query": round(took, 2)}
            assert used == mode, used
        test_cands = candidates(service, test)
        rrf = score(test, {q: reciprocal_rank_fusion([k, s]) for q, (_, _, k, s) in test_cands.items()}, back)
        results["rrf_baseline"] = {k: round(v, 4) for k, v in rrf.items()}
        report["test"] = results
        report["hybrid_vs_rrf"] = round(results["hybrid"]["ndcg@10"] / rrf["ndcg@10"], 3)
        report["hybrid_vs_keyword"] = round(results["hybrid"]["ndcg@10"] / results["keyword"]["ndcg@10"], 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
