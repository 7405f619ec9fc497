"""Recommendation latency for a tag of 10 papers in a store of 1,000,000 papers.

    python benchmarks/recommend_latency.py [--n 1000000] [--real-vectors FILE.npy | --real 2000]
                                           [--repeats 30] [--recent 20000] [--hnsw] [--store] [--dir DIR]

What one cache miss costs (a page view after the library changed; other views read the cached result):

1. **Embedding model over 1M vectors.** Fit the recommender's class-balanced linear SVM
   (``paperwire.library.ranker.fit``) on the tag's 10 vectors against 1,000 background vectors, then
   rank by ``w . x``: (a) exact, one float32 matrix-vector product over all 1M rows; (b) only the newest
   ``--recent`` rows (recommendations are of recent papers; a contiguous slice); (c) with ``--hnsw``,
   an HNSW pre-filter (hnswlib, M=16, efC=100, ef=K) for the K=2,000 rows nearest to ``w/|w|``, re-ranked
   exactly. For (c) the report includes the overlap of its top 20 with the exact top 20.
2. **The full served model on real text** (``recommend``'s path minus the database): the pool's tf-idf
   is fitted once per pool (the newest 5,000 papers; shared by every user), then per library change:
   transform the tag's 10 papers, stack tf-idf + author + embedding features, fit against 1,000
   background papers, score the pool, explain the top 100. Its cost depends on the pool size, not on
   the store size.
3. With ``--store``: ``recommend()`` itself on a SQLite store of ``--n`` papers: the first call (pool
   not yet fitted), a call after the library changed (pool fitted), then page views (the cached path).

Vectors are derived from real embeddings as in ``benchmarks/vector_index.py``: each synthetic row mixes
three real MiniLM vectors (the first dominant, weight U(0.55, 0.95)) plus Gaussian noise (0.25), then is
re-normalised. Real vectors come from ``--real-vectors`` (e.g. the cache ``paperwire eval recommend``
writes: ``DATA/cache/eval-recommend/*.npy``, embeddings of the first 60 arxiv-daily files) or are embedded
here (``--real`` papers). The tag = 10 synthetic rows whose dominant real paper is among the 10 nearest
neighbours of one real paper (a topic), as a user's tag would be.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperwire.library import ranker

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-daily"
DIM = 384
NOISE = 0.25
TOP = 20
BACKGROUND = 1000
POOL = 5000


def synthetic(real: np.ndarray, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    out = np.empty((count, DIM), dtype=np.float32)
    dominant = np.empty(count, dtype=np.int32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        picks = rng.integers(0, len(real), size=(n, 3))
        w1 = rng.uniform(0.55, 0.95, size=n)
        split = rng.uniform(0, 1, size=n)
        weights = np.stack([w1, (1 - w1) * split, (1 - w1) * (1 - split)], axis=1).astype(np.float32)
        rows = np.einsum("nk,nkd->nd", weights, real[picks])
        rows += (NOISE / np.sqrt(DIM)) * rng.standard_normal((n, DIM)).astype(np.float32)
        out[start : start + n] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        dominant[start : start + n] = picks[:, 0]
    return out, dominant


def real_vectors(args: argparse.Namespace) -> np.ndarray:
    if args.real_vectors:
        return np.load(args.real_vectors).astype(np.float32)
    from paperwire.config import load_settings
    from paperwire.search.embed import document_text, load_embedder

    papers = load_texts(args.real)
    embedder = load_embedder(load_settings(data_dir=args.dir), device="cpu")
    return embedder.encode_documents([document_text(t, a) for t, a, _ in papers], progress=True)


def load_texts(limit: int) -> list[tuple[str, str, list[str]]]:
    """(title, abstract, authors) of the first ``limit`` unique papers of arxiv-daily."""
    seen: set[str] = set()
    out: list[tuple[str, str, list[str]]] = []
    for path in sorted(DATA.glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as fh:
            for line in fh:
                item = json.loads(line)
                if item["id"] not in seen:
                    seen.add(item["id"])
                    out.append((item["title"], item["summary"], item["authors"]))
                    if len(out) >= limit:
                        return out
    return out


def fit_vectors(matrix: np.ndarray, tag: np.ndarray, background: np.ndarray) -> ranker.Model:
    """The recommender's own fit, over the training rows' embeddings only (the embedding block)."""
    rows = np.concatenate([tag, background])
    train = matrix[rows]
    features = ranker.Features(
        matrix=sp.csr_matrix(train),
        text=sp.csr_matrix((len(rows), 1), dtype=np.float32),
        terms=np.array([""]),
        author_names=[],
        n_text=0,
        n_authors=0,
        embeddings=train,
    )
    return ranker.fit(features, list(range(len(tag))), list(range(len(tag), len(rows))))


def top(scores: np.ndarray, k: int = TOP) -> np.ndarray:
    best = np.argpartition(-scores, k)[:k]
    return best[np.argsort(-scores[best])]


def stats(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 1),
        "p95_ms": round(float(np.percentile(times, 95)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--real-vectors", type=Path, help="a .npy of real (n, 384) embeddings")
    parser.add_argument("--real", type=int, default=2000, help="papers to embed when no --real-vectors")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--recent", type=int, default=20_000, help="newest rows ranked in mode (b)")
    parser.add_argument(
        "--hnsw", action="store_true", help="also build an HNSW index over all rows (minutes)"
    )
    parser.add_argument("--ef", type=int, default=2000, help="HNSW candidates re-ranked exactly")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/paperwire-recommend-bench"))
    parser.add_argument(
        "--store", action="store_true", help="also time recommend() on a SQLite store of --n papers"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    real = real_vectors(args)
    began = time.perf_counter()
    matrix, dominant = synthetic(real, args.n, rng)
    print(
        f"{args.n:,} x {DIM} vectors from {len(real):,} real embeddings in {time.perf_counter() - began:.1f} s"
    )

    seeds = rng.choice(len(real), args.repeats, replace=False)
    requests = []
    for seed in seeds:
        topic = np.argsort(-(real @ real[seed]))[:10]
        members = np.flatnonzero(np.isin(dominant[-args.recent * 5 :], topic)) + (args.n - args.recent * 5)
        tag = rng.choice(members, 10, replace=False)
        background = rng.choice(args.n, BACKGROUND, replace=False)
        requests.append((tag, background))

    results: dict[str, object] = {"n": args.n, "real_vectors": len(real), "repeats": args.repeats}
    fit_t, brute_t, recent_t = [], [], []
    for tag, background in requests:
        t0 = time.perf_counter()
        model = fit_vectors(matrix, tag, background)
        t1 = time.perf_counter()
        top(matrix @ model.weights)
        t2 = time.perf_counter()
        top(matrix[-args.recent :] @ model.weights)
        t3 = time.perf_counter()
        fit_t.append((t1 - t0) * 1000)
        brute_t.append((t2 - t1) * 1000)
        recent_t.append((t3 - t2) * 1000)
    results["fit"] = stats(fit_t)
    results["exact_1M"] = stats(brute_t)
    results["exact_1M_total"] = stats([a + b for a, b in zip(fit_t, brute_t, strict=True)])
    results[f"recent_{args.recent}"] = stats(recent_t)
    results[f"recent_{args.recent}_total"] = stats([a + b for a, b in zip(fit_t, recent_t, strict=True)])

    if args.hnsw:
        import hnswlib

        began = time.perf_counter()
        index = hnswlib.Index(space="ip", dim=DIM)
        index.init_index(max_elements=args.n, M=16, ef_construction=100)
        index.add_items(matrix, np.arange(args.n))
        results["hnsw_build_s"] = round(time.perf_counter() - began, 1)
        index.set_ef(args.ef)
        hnsw_t, overlap = [], []
        for tag, background in requests:
            model = fit_vectors(matrix, tag, background)
            t0 = time.perf_counter()
            query = model.weights / np.linalg.norm(model.weights)
            labels, _ = index.knn_query(query, k=args.ef)
            ids = labels[0].astype(np.int64)
            found = ids[top(matrix[ids] @ model.weights)]
            hnsw_t.append((time.perf_counter() - t0) * 1000)
            exact = top(matrix @ model.weights)
            overlap.append(len(set(found.tolist()) & set(exact.tolist())) / TOP)
        results[f"hnsw_prefilter_{args.ef}"] = stats(hnsw_t)
        results[f"hnsw_prefilter_{args.ef}_total"] = stats(
            [a + b for a, b in zip(fit_t, hnsw_t, strict=True)]
        )
        results["hnsw_top20_overlap_with_exact"] = round(float(np.mean(overlap)), 3)

    # the full served model (text + authors + embeddings) on real papers: a bounded pool
    papers = load_texts(POOL + 50)
    vectors = real[: len(papers)] if len(real) >= len(papers) else None
    texts = [f"{t}. {a}" for t, a, _ in papers]
    t0 = time.perf_counter()
    space = ranker.fit_text(texts[:POOL])
    results[f"pool_tfidf_fit_ms_once_per_pool_{POOL}"] = round((time.perf_counter() - t0) * 1000, 1)
    full_t = []
    for repeat in range(5):
        t0 = time.perf_counter()
        tag_rows = list(range(POOL + repeat * 10, POOL + repeat * 10 + 10))  # saved earlier: outside the pool
        ids = list(range(POOL)) + tag_rows
        text = sp.vstack([space.matrix, space.transform([texts[i] for i in tag_rows])], format="csr")
        corpus = ranker.Corpus(
            ids, [], [list(papers[i][2]) for i in ids], None if vectors is None else vectors[ids]
        )
        features = ranker.build_features(corpus, text=text, terms=space.terms)
        tag = list(range(POOL, POOL + 10))
        model = ranker.fit(features, tag, rng.choice(POOL, BACKGROUND, replace=False).tolist())
        scores = ranker.scores(features, model, list(range(POOL)))
        for row in top(scores, 100):
            ranker.explain(features, model, int(row), tag)
        full_t.append((time.perf_counter() - t0) * 1000)
    results[f"full_model_miss_pool_{POOL}"] = stats(full_t)
    results["full_model_features"] = "tf-idf + authors" + (" + embeddings" if vectors is not None else "")
    if args.store:
        results["store"] = store_benchmark(args, papers)
    print(json.dumps(results, indent=2))


def store_benchmark(args: argparse.Namespace, papers: list[tuple[str, str, list[str]]]) -> dict[str, object]:
    """``recommend()`` itself on a SQLite store of ``--n`` papers: a cache miss, then cached page views.

    The newest papers (the candidate pool and the tag) carry real titles, abstracts and authors; the
    older rows carry a title only (they are never candidates, only rows the queries must skip).
    """
    import datetime as dt

    from sqlalchemy import insert

    from paperwire.accounts.models import User
    from paperwire.config import load_settings
    from paperwire.db.migrate import upgrade
    from paperwire.db.models import Paper
    from paperwire.db.session import make_engine, make_sessionmaker
    from paperwire.library.recommend import recommend
    from paperwire.library.tags import save

    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / f"store-{args.n}.db"
    settings = load_settings(data_dir=args.dir, database_url=f"sqlite:///{db}")
    engine = make_engine(settings.db_url)
    fresh = not db.exists()
    upgrade(engine)
    real = len(papers)
    newest = dt.date(2026, 7, 1)
    began = time.perf_counter()
    if fresh:
        rows = []
        for i in range(args.n):
            from_end = args.n - 1 - i  # row i: the newest rows last, about 1,000 papers a day
            day = newest - dt.timedelta(days=from_end // 1000)
            title, abstract, authors = papers[from_end] if from_end < real else (f"Older paper {i}", "", [])
            rows.append(
                {
                    "arxiv_id": f"{9000 + i // 100_000:04d}.{i % 100_000:05d}",
                    "title": title,
                    "abstract": abstract,
                    "authors": authors,
                    "categories": ["cs.LG"],
                    "published": day,
                    "abs_url": "",
                    "pdf_url": "",
                    "code_urls": [],
                    "source": "bench",
                    "change_seq": i,
                }
            )
            if len(rows) == 50_000:
                with engine.begin() as conn:
                    conn.execute(insert(Paper), rows)
                rows = []
        if rows:
            with engine.begin() as conn:
                conn.execute(insert(Paper), rows)
    out: dict[str, object] = {"papers": args.n, "build_s": round(time.perf_counter() - began, 1)}
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        user = User(
            email=f"bench{time.time_ns()}@example.org", role="user", email_verified=True, disabled=False
        )
        session.add(user)
        session.flush()
        # the tag: 10 real papers just older than the 14-day pool, as if saved last month
        for k in range(10):
            save(session, user.id, args.n - POOL - k, ["bench"])  # ids count from 1, oldest first
        session.commit()
        t0 = time.perf_counter()
        first = recommend(session, settings, user.id, "bench", 20)
        out["cache_miss_cold_pool_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        out["candidates"] = first.candidates
        save(session, user.id, args.n - POOL - 10, ["bench"])  # the library changes: retrain
        session.commit()
        t0 = time.perf_counter()
        assert not recommend(session, settings, user.id, "bench", 20).cached
        out["cache_miss_after_library_change_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        hits = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            again = recommend(session, settings, user.id, "bench", 20)
            hits.append((time.perf_counter() - t0) * 1000)
            assert again.cached
        out["served_cached"] = stats(hits)
    engine.dispose()
    return out


if __name__ == "__main__":
    main()
