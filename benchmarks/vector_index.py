"""The vector index at 1,000,000 x 384: build time, query latency, recall@10 against exact search, memory.

    python benchmarks/vector_index.py [--n 1000000] [--real 2000] [--queries 500] [--dir DIR]

Vectors are derived from real embeddings (documented in docs/benchmarks.md):
1. ``--real`` unique papers of ../shared/data/arxiv-daily (title + abstract) are embedded with the CPU
   path (ONNX int8); they are the first rows. ``--queries`` other papers' *titles* are embedded as queries.
2. Every synthetic row mixes three random real vectors plus Gaussian noise, re-normalised:
   ``x = normalise(w1*r_a + w2*r_b + w3*r_c + s*g)`` with ``w1 ~ U(0.3, 0.9)``, the rest of the weight
   split uniformly at random between ``w2`` and ``w3``, ``g ~ N(0, I/384)`` (norm about 1), ``s = 0.5``.
   These constants make a synthetic vector's nearest neighbour among 5,000 others as close (mean cosine
   0.64) as a real abstract's among 2,000 real ones (0.64): neighbourhoods as dense as real ones, not
   tight clusters of near-copies (which no ANN index can order) nor i.i.d. noise (which none can search).
The real vectors are cached under ``--dir`` so that a rerun skips the embedding.

Reports: build time (incremental adds of 10,000 plus per-batch saves, as the indexer does), open time
and resident memory of the reopened index, p50/p99 single-query latency and recall@10 for HNSW at
several ``ef``, exact numpy search at 1M (the baseline) and exact search at smaller sizes (where HNSW
starts to win), and filtered searches (``allowed``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from embed_throughput import load_papers

from paperwire.config import load_settings
from paperwire.search.embed import DIM, document_text, load_embedder
from paperwire.search.vectors import VectorIndex

NOISE = 0.5
PRIMARY = (0.3, 0.9)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def real_vectors(cache: Path, n_real: int, n_queries: int) -> tuple[np.ndarray, np.ndarray]:
    path = cache / f"real-{n_real}-{n_queries}.npz"
    if path.exists():
        data = np.load(path)
        return data["docs"], data["queries"]
    papers = load_papers(n_real + n_queries)
    embedder = load_embedder(load_settings(data_dir=cache), device="cpu")
    began = time.perf_counter()
    docs = embedder.encode_documents([document_text(t, a) for t, a in papers[:n_real]], progress=True)
    print(f"embedded {n_real} real abstracts in {time.perf_counter() - began:.0f} s")
    queries = np.stack([embedder.encode_query(title) for title, _ in papers[n_real:]])
    np.savez(path, docs=docs, queries=queries)
    return docs, queries


def synthetic(real: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    picks = rng.integers(0, len(real), size=(count, 3))
    w1 = rng.uniform(*PRIMARY, size=count)
    split = rng.uniform(0, 1, size=count)
    weights = np.stack([w1, (1 - w1) * split, (1 - w1) * (1 - split)], axis=1).astype(np.float32)
    rows = np.einsum("nk,nkd->nd", weights, real[picks])
    rows += (NOISE / np.sqrt(DIM)) * rng.standard_normal((count, DIM)).astype(np.float32)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def exact_top(matrix: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Ground truth: top-k row numbers per query, computed in blocks of rows."""
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(matrix), 100_000):
        scores = queries @ np.asarray(matrix[start : start + 100_000]).T
        all_scores = np.concatenate([best_scores, scores], axis=1)
        all_rows = np.concatenate(
            [best_rows, np.arange(start, start + scores.shape[1])[None, :].repeat(len(queries), 0)], axis=1
        )
        top = np.argpartition(-all_scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(all_scores, top, axis=1)
        best_rows = np.take_along_axis(all_rows, top, axis=1)
    return best_rows


def percentiles(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p99_ms": round(float(np.percentile(times, 99)), 3),
    }


def timed_queries(
    index: VectorIndex, queries: np.ndarray, k: int = 10, **kwargs: object
) -> tuple[list[list[int]], dict[str, float]]:
    results, times = [], []
    for query in queries:
        start = time.perf_counter()
        hits = index.search(query, k, **kwargs)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000)
        results.append([paper_id for paper_id, _ in hits])
    return results, percentiles(times)


def recall(found: list[list[int]], truth: np.ndarray) -> float:
    return round(
        float(np.mean([len(set(f) & set(t.tolist())) / len(t) for f, t in zip(found, truth, strict=True)])), 4
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--real", type=int, default=2000, help="real abstracts embedded as seeds")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--batch", type=int, default=10_000, help="vectors per add (the indexer's batch)")
    parser.add_argument("--save-every", type=int, default=50_000, help="vectors between saves")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "paperwire-bench-vectors")
    args = parser.parse_args()

    args.dir.mkdir(parents=True, exist_ok=True)
    real, queries = real_vectors(args.dir, args.real, args.queries)
    rng = np.random.default_rng(42)
    index_dir = args.dir / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    ids = np.arange(1, args.n + 1, dtype=np.int64)  # row r has paper id r + 1

    # -- build, as the indexer does: batches of adds, a save every few batches ---------------------
    index = VectorIndex.open(index_dir, DIM)
    build = 0.0
    unsaved = 0
    for start in range(0, args.n, args.batch):
        count = min(args.batch, args.n - start)
        if start == 0:
            batch = np.concatenate([real, synthetic(real, count - len(real), rng)])[:count]
        else:
            batch = synthetic(real, count, rng)
        began = time.perf_counter()
        index.add(ids[start : start + count], batch)
        unsaved += count
        if unsaved >= args.save_every:
            index.save()
            unsaved = 0
        build += time.perf_counter() - began
        if (start // args.batch) % 10 == 0:
            print(f"  {start + count:>9,} vectors, {build:.0f} s", flush=True)
    began = time.perf_counter()
    index.save(graph=True)
    final_save = time.perf_counter() - began
    build += final_save
    peak_build_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mode = index.mode
    del index, batch
    gc.collect()

    # -- reopen cold-ish, measure the memory the open index holds ---------------------------------
    before = rss_mb()
    began = time.perf_counter()
    index = VectorIndex.open(index_dir, DIM)
    open_s = time.perf_counter() - began
    index_rss = rss_mb() - before

    # -- ground truth and the exact baseline --------------------------------------------------------
    log = np.memmap(index_dir / "vectors-0.f32", dtype=np.float32, mode="r", shape=(args.n, DIM))
    began = time.perf_counter()
    truth = exact_top(log, queries, 10) + 1  # rows -> paper ids
    truth_s = time.perf_counter() - began
    matrix = np.array(log)
    exact_times = []
    for query in queries[:100]:
        start = time.perf_counter()
        scores = matrix @ query
        top = np.argpartition(-scores, 9)[:10]
        top = top[np.argsort(-scores[top])]
        exact_times.append((time.perf_counter() - start) * 1000)
    exact = percentiles(exact_times)
    crossover = {}
    for size in (10_000, 20_000, 50_000, 100_000, 200_000):
        if size >= args.n:
            break
        sub = matrix[:size]
        times = []
        for query in queries[:100]:
            start = time.perf_counter()
            scores = sub @ query
            top = np.argpartition(-scores, 9)[:10]
            top = top[np.argsort(-scores[top])]
            times.append((time.perf_counter() - start) * 1000)
        crossover[f"exact_{size}"] = percentiles(times)
    shares = {}
    for share in (0.01, 0.1, 0.5):
        allowed = np.sort(rng.choice(ids, size=int(args.n * share), replace=False))
        shares[share] = (allowed, exact_top(matrix[allowed - 1], queries[:100], 10))
    del matrix, log
    gc.collect()

    hnsw = {}
    for ef in (64, 128, 256):
        index.ef = ef
        found, latency = timed_queries(index, queries)
        hnsw[f"ef={ef}"] = {**latency, "recall@10": recall(found, truth)}
    index.ef = 128

    filtered = {}
    for share, (allowed, rows) in shares.items():
        mask = np.zeros(args.n + 1, dtype=bool)
        mask[allowed] = True
        found, latency = timed_queries(index, queries[:100], allowed=mask)
        filtered[f"{share:.0%}"] = {
            "allowed": len(allowed),
            **latency,
            "recall@10": recall(found, allowed[rows]),
        }

    disk_mb = sum(p.stat().st_size for p in index_dir.iterdir()) / 2**20
    print(
        json.dumps(
            {
                "vectors": args.n,
                "real_seed_vectors": len(real),
                "queries": len(queries),
                "mode": mode,
                "build_s": round(build, 1),
                "final_save_s": round(final_save, 1),
                "build_vectors_per_s": round(args.n / build),
                "peak_rss_during_build_mb": round(peak_build_mb),
                "open_s": round(open_s, 1),
                "index_rss_mb": round(index_rss),
                "disk_mb": round(disk_mb),
                "hnsw": hnsw,
                "exact_numpy_1M_baseline": exact,
                "hnsw_ef128_speedup_vs_exact": round(exact["p50_ms"] / hnsw["ef=128"]["p50_ms"], 1),
                "exact_at_smaller_sizes": crossover,
                "filtered_hnsw_ef128": filtered,
                "ground_truth_s": round(truth_s, 1),
                "cpus": os.cpu_count(),
                "load_average_1min": round(os.getloadavg()[0], 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
