"""Search at 1,000,000 papers: index build time, hybrid query latency (query embedding included),
resident memory of the indexes.

    python benchmarks/search_scale.py [--n 1000000] [--embed 1500] [--queries 600] [--dir DIR]

The collection (documented in docs/benchmarks.md):
- every unique paper of ../shared/data/arxiv-daily (74,728 real papers; published = first listing day);
- synthetic papers up to ``--n``, each recombined from two real papers A and B of the same primary
  category: the first half of A's title words + the second half of B's, the first half of A's abstract
  sentences + the second half of B's, A's first authors + B's, A's categories and code flag, A's date.
  Ids are old-style ``synth/NNNNNNN``, so they never collide with real arXiv ids.
Vectors: ``--embed`` real papers are embedded for real (CPU path, ONNX int8; ~40 min would be needed
for all 74,728 on 2 cores). Each other real paper gets ``normalise(0.5 a + 0.5 b + 0.15 g)`` of two
embedded papers of its category (``g`` Gaussian, norm ~1); each synthetic paper
``normalise(0.6 v_A + 0.4 v_B + 0.1 g)``. So vectors cluster by topic like real ones (i.i.d. random
vectors would make any ANN index look bad and are not used).

Queries: distinct real titles of indexed papers (half) and 2-3 word phrases cut from other real titles
(half), a tenth of the phrases with a filter (``cat:`` or ``year:``). Every query is embedded by the
real model inside the timed call. Latency is measured in a fresh process that only opens the indexes
(its resident memory before and after opening them and after the queries is the memory reported);
the baseline in that same process is exact (numpy, brute-force) semantic search over the same vectors,
which also gives the recall of HNSW's top 100. Besides wall-clock latency, each mode reports the CPU
time of the process per query (the search's worker thread included), which load from other processes
on a shared machine disturbs much less; the load average at start and end is printed with the results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.config import load_settings
from paperwire.search.embed import document_text, load_embedder
from paperwire.search.keyword import IndexedPaper, KeywordIndex
from paperwire.search.sentences import SentenceStore, paper_units
from paperwire.search.vectors import VectorIndex

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-daily"
BATCH = 50_000
SENTENCE = re.compile(r"(?<=[.!?])\s+")
STOP = {"a", "an", "the", "of", "for", "and", "in", "on", "to", "with", "via", "from", "by", "at", "is", "as"}


def rss_mb() -> float:
    """Current resident set size of this process (not the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load_real() -> list[dict[str, Any]]:
    papers: dict[str, dict[str, Any]] = {}
    for path in sorted(DATA.glob("*.jsonl.gz")):
        day = dt.date.fromisoformat(path.name.split(".")[0])
        with gzip.open(path, "rt") as fh:
            for line in fh:
                item = json.loads(line)
                if item["id"] in papers:
                    continue
                papers[item["id"]] = {
                    "arxiv_id": item["id"],
                    "title": " ".join(item["title"].split()),
                    "abstract": " ".join((item.get("summary") or "").split()),
                    "authors": tuple(item.get("authors") or ()),
                    "categories": tuple(item.get("categories") or ()),
                    "published": day,
                    "has_code": "github.com" in (item.get("summary") or "") + (item.get("comment") or ""),
                }
    return list(papers.values())


def unit(rows: np.ndarray) -> np.ndarray:
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


def real_vectors(
    real: list[dict[str, Any]], n_embed: int, settings: Any, rng: np.random.Generator
) -> np.ndarray:
    """Embed ``n_embed`` real papers; derive the others from two embedded papers of their category."""
    chosen = np.sort(rng.choice(len(real), size=min(n_embed, len(real)), replace=False))
    embedder = load_embedder(settings, device="cpu")
    started = time.perf_counter()
    embedded = embedder.encode_documents(
        [document_text(real[i]["title"], real[i]["abstract"]) for i in chosen]
    )
    took = time.perf_counter() - started
    print(f"embedded {len(chosen)} real papers in {took:.0f} s ({len(chosen) / took:.1f}/s)", flush=True)
    vectors = np.zeros((len(real), embedded.shape[1]), dtype=np.float32)
    vectors[chosen] = embedded
    by_cat: dict[str, list[int]] = {}
    for row, i in enumerate(chosen):
        by_cat.setdefault((real[i]["categories"] or ("?",))[0], []).append(row)
    everything = list(range(len(chosen)))
    rest = np.setdiff1d(np.arange(len(real)), chosen)
    for i in rest:
        pool = by_cat.get((real[i]["categories"] or ("?",))[0], everything)
        a, b = rng.choice(pool, size=2)
        vectors[i] = 0.5 * embedded[a] + 0.5 * embedded[b]
    noise = rng.standard_normal((len(rest), vectors.shape[1])).astype(np.float32) / np.sqrt(vectors.shape[1])
    vectors[rest] = unit(vectors[rest] + 0.15 * noise)
    return vectors


def synthetic(
    real: list[dict[str, Any]], count: int, rng: random.Random
) -> list[tuple[int, int, dict[str, Any]]]:
    """``count`` recombined papers as (source A, source B, fields); see the module docstring."""
    by_cat: dict[str, list[int]] = {}
    for i, p in enumerate(real):
        by_cat.setdefault((p["categories"] or ("?",))[0], []).append(i)
    out = []
    for n in range(count):
        a = rng.randrange(len(real))
        b = rng.choice(by_cat[(real[a]["categories"] or ("?",))[0]])
        pa, pb = real[a], real[b]
        ta, tb = pa["title"].split(), pb["title"].split()
        sa, sb = SENTENCE.split(pa["abstract"]), SENTENCE.split(pb["abstract"])
        out.append(
            (
                a,
                b,
                {
                    "arxiv_id": f"synth/{n:07d}",
                    "title": " ".join(ta[: max(1, len(ta) // 2)] + tb[len(tb) // 2 :]),
                    "abstract": " ".join(sa[: max(1, len(sa) // 2)] + sb[len(sb) // 2 :]),
                    "authors": pa["authors"][:3] + pb["authors"][:2],
                    "categories": pa["categories"],
                    "published": pa["published"],
                    "has_code": pa["has_code"],
                },
            )
        )
    return out


def make_queries(real: list[dict[str, Any]], count: int, rng: random.Random) -> list[str]:
    order = list(range(len(real)))
    rng.shuffle(order)
    titles = [real[i]["title"] for i in order[: count // 2]]
    phrases: list[str] = []
    seen = set(titles)
    for i in order[count // 2 :]:
        words = [w.strip(":,.()") for w in real[i]["title"].split()]
        words = [w for w in words if w]
        if len(words) < 3:
            continue
        size = rng.choice((2, 3))
        start = rng.randrange(len(words) - size + 1)
        gram = words[start : start + size]
        if all(w.lower() in STOP for w in gram):
            continue
        phrase = " ".join(gram).lower()
        if len(phrases) % 10 == 9:
            cat = (real[i]["categories"] or ("cs.LG",))[0]
            phrase += f" cat:{cat}" if rng.random() < 0.5 else f" year:{real[i]['published'].year}"
        if phrase not in seen:
            seen.add(phrase)
            phrases.append(phrase)
        if len(phrases) >= count - len(titles):
            break
    return titles + phrases


def build(args: argparse.Namespace) -> dict[str, Any]:
    root = args.dir
    if root.exists():
        shutil.rmtree(root / "index", ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    settings = load_settings(data_dir=root)
    nprng = np.random.default_rng(7)
    rng = random.Random(7)
    started = time.perf_counter()
    real = load_real()
    print(f"{len(real)} real papers read in {time.perf_counter() - started:.0f} s", flush=True)
    vectors_real = real_vectors(real, args.embed, settings, nprng)
    queries = make_queries(real, args.queries, rng)
    (root / "queries.json").write_text(json.dumps(queries))

    keyword = KeywordIndex(root / "index" / "keyword")
    vectors = VectorIndex.open(root / "index" / "vectors", vectors_real.shape[1])
    sentences = SentenceStore.open(root / "index" / "sentences", vectors_real.shape[1])
    timings = {"keyword_s": 0.0, "vectors_s": 0.0, "sentences_s": 0.0, "generate_s": 0.0}

    def add(first_id: int, papers: list[dict[str, Any]], vecs: np.ndarray) -> None:
        t0 = time.perf_counter()
        keyword.upsert([IndexedPaper(paper_id=first_id + k, **p) for k, p in enumerate(papers)])
        t1 = time.perf_counter()
        ids = np.arange(first_id, first_id + len(papers), dtype=np.int64)
        vectors.add(ids, vecs)
        vectors.save(graph=False)
        t2 = time.perf_counter()
        add_units(sentences, ids, [(p["title"], p["abstract"]) for p in papers], vecs, nprng)
        timings["keyword_s"] += t1 - t0
        timings["vectors_s"] += t2 - t1
        timings["sentences_s"] += time.perf_counter() - t2

    for start in range(0, len(real), BATCH):
        add(1 + start, real[start : start + BATCH], vectors_real[start : start + BATCH])
    print(f"real papers indexed: {timings}", flush=True)
    next_id = 1 + len(real)
    remaining = args.n - len(real)
    while remaining > 0:
        t0 = time.perf_counter()
        batch = synthetic(real, min(BATCH, remaining), rng)
        for k, (_, _, p) in enumerate(batch):
            p["arxiv_id"] = f"synth/{next_id - len(real) + k:07d}"
        a = np.array([x[0] for x in batch])
        b = np.array([x[1] for x in batch])
        noise = nprng.standard_normal((len(batch), vectors_real.shape[1])).astype(np.float32)
        vecs = unit(0.6 * vectors_real[a] + 0.4 * vectors_real[b] + 0.1 * noise / np.sqrt(noise.shape[1]))
        timings["generate_s"] += time.perf_counter() - t0
        add(next_id, [p for _, _, p in batch], vecs)
        next_id += len(batch)
        remaining -= len(batch)
        print(f"{next_id - 1} papers indexed; {timings}", flush=True)
    t0 = time.perf_counter()
    vectors.save(graph=True)
    timings["vectors_s"] += time.perf_counter() - t0
    sizes = {
        name: sum(f.stat().st_size for f in (root / "index" / name).rglob("*") if f.is_file()) / 2**20
        for name in ("keyword", "vectors", "sentences")
    }
    return {
        "papers": next_id - 1,
        "real_papers": len(real),
        "embedded_real": min(args.embed, len(real)),
        "build_keyword_s": round(timings["keyword_s"], 1),
        "build_vectors_s": round(timings["vectors_s"], 1),
        "build_sentences_s": round(timings["sentences_s"], 1),
        "generate_synthetic_s": round(timings["generate_s"], 1),
        "disk_mb": {k: round(v) for k, v in sizes.items()},
        "build_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def add_units(
    store: SentenceStore,
    ids: np.ndarray,
    texts: list[tuple[str, str]],
    vecs: np.ndarray,
    nprng: np.random.Generator,
) -> None:
    """Unit vectors for papers whose units were not embedded: as many as ``paper_units`` makes of the
    paper's real text, each ``normalise(v + g)`` around the paper's vector ``v`` (``g`` Gaussian, norm
    ~1: cosine ~0.7 to ``v``, about what real sentences have to their paper's vector)."""
    counts = np.array([len(paper_units(title, abstract)) for title, abstract in texts])
    around = np.repeat(vecs, counts, axis=0)
    rows = unit(around + nprng.standard_normal(around.shape).astype(np.float32) / np.sqrt(around.shape[1]))
    store.add(ids.tolist(), np.split(rows, np.cumsum(counts)[:-1]))
    store.save()


def add_sentences(root: Path) -> dict[str, Any]:
    """Give an index built before sentence vectors its sentence store (papers' texts from the keyword
    index, their vectors from the vector index), instead of rebuilding the whole collection."""
    keyword = KeywordIndex(root / "index" / "keyword")
    vectors = VectorIndex.open(root / "index" / "vectors", 384)
    shutil.rmtree(root / "index" / "sentences", ignore_errors=True)
    store = SentenceStore.open(root / "index" / "sentences", 384)
    nprng = np.random.default_rng(11)
    started = time.perf_counter()
    total = len(vectors)
    for first in range(1, total + 1, BATCH):
        ids = np.arange(first, min(first + BATCH, total + 1), dtype=np.int64)
        docs = keyword.documents(ids.tolist())
        texts = [(str(docs[i]["title"][0]), str((docs[i].get("abstract") or [""])[0])) for i in ids.tolist()]
        add_units(store, ids, texts, vectors.get(ids), nprng)
        print(f"{ids[-1]} papers given sentence vectors", flush=True)
    size = sum(f.stat().st_size for f in (root / "index" / "sentences").glob("*")) / 2**20
    return {"papers": len(store), "seconds": round(time.perf_counter() - started, 1), "disk_mb": round(size)}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def serve(root: Path, exact_queries: int) -> dict[str, Any]:
    """In a fresh process: open the indexes, time every query in each mode, and the exact baseline."""
    from sqlalchemy import create_engine
    from threadpoolctl import threadpool_limits

    from paperwire.search.service import SearchService

    settings = load_settings(data_dir=root)
    embedder = load_embedder(settings, device="cpu")
    embedder.encode_query("warm up")
    rss_model = rss_mb()
    t0 = time.perf_counter()
    service = SearchService(settings, create_engine("sqlite://"), embedder=embedder)
    vectors = service.vectors()
    assert vectors is not None and vectors.mode == "hnsw"
    n_docs = len(service.keyword)
    open_s = time.perf_counter() - t0
    rss_open = rss_mb()
    queries = json.loads((root / "queries.json").read_text())
    # One BLAS thread while searching, as `paperwire web` serves (OpenBLAS's threads spin on 2 cores and
    # take the core the search's worker thread needs); the exact baseline below gets all threads back.
    one_blas_thread = threadpool_limits(1, user_api="blas")
    for q in queries[:20]:
        service.search(q)
    out: dict[str, Any] = {"documents": n_docs, "vectors": len(vectors), "queries": len(queries)}
    out["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
    for mode in ("hybrid", "keyword", "semantic"):
        times: list[float] = []
        filtered: list[float] = []
        cpu: list[float] = []
        service._query_vectors.clear()  # every timed search embeds its query: the service keeps them
        for q in queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            result = service.search(q, mode=mode, limit=20)
            took = (time.perf_counter() - started) * 1000
            cpu.append((time.process_time() - cpu_started) * 1000)
            (filtered if (":" in q and ("cat:" in q or "year:" in q)) else times).append(took)
            assert result.mode == mode, result.mode
        out[mode] = {
            "p50_ms": round(percentile(times + filtered, 50), 2),
            "p90_ms": round(percentile(times + filtered, 90), 2),
            "p99_ms": round(percentile(times + filtered, 99), 2),
            "max_ms": round(max(times + filtered), 1),
            "filtered_p50_ms": round(percentile(filtered, 50), 2) if filtered else None,
            "cpu_p50_ms": round(percentile(cpu, 50), 2),
            "cpu_p99_ms": round(percentile(cpu, 99), 2),
        }
        print(mode, out[mode], flush=True)
    embed_times = []
    for q in queries:
        started = time.perf_counter()
        embedder.encode_query(q)
        embed_times.append((time.perf_counter() - started) * 1000)
    out["query_embedding"] = {
        "p50_ms": round(percentile(embed_times, 50), 2),
        "p99_ms": round(percentile(embed_times, 99), 2),
    }
    rss_after = rss_mb()
    one_blas_thread.restore_original_limits()
    # baseline in the same process: exact search over the same vectors (the log, read into memory)
    manifest = json.loads((root / "index" / "vectors" / "index.json").read_text())
    log = root / "index" / "vectors" / f"vectors-{manifest['generation']}.f32"
    matrix = np.fromfile(log, dtype=np.float32).reshape(-1, vectors.dim)
    row_ids = np.fromfile(log.with_name(f"ids-{manifest['generation']}.i64"), dtype=np.int64)
    exact = []
    recall = []
    for q in queries[:exact_queries]:
        started = time.perf_counter()
        qv = embedder.encode_query(q)
        scores = matrix @ qv
        top = np.argpartition(-scores, 100)[:100]
        top[np.argsort(-scores[top])]
        exact.append((time.perf_counter() - started) * 1000)
        approx = {pid for pid, _ in vectors.search(qv, 100)}  # every id has one row: no replacements here
        recall.append(len(approx & set(row_ids[top].tolist())) / 100)
    out["exact_semantic_baseline"] = {
        "p50_ms": round(percentile(exact, 50), 2),
        "queries": len(exact),
        "hnsw_recall@100": round(float(np.mean(recall)), 4),
    }
    out["semantic_vs_exact_p50"] = round(
        out["exact_semantic_baseline"]["p50_ms"] / out["semantic"]["p50_ms"], 1
    )
    out["open_s"] = round(open_s, 2)
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    out["rss_mb"] = {
        "model_loaded": round(rss_model),
        "indexes_opened": round(rss_open),
        "after_all_queries": round(rss_after),
        "indexes": round(rss_after - rss_model),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--embed", type=int, default=1500)
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--exact-queries", type=int, default=50)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/paperwire-scale"))
    parser.add_argument("--serve-only", action="store_true", help="Skip the build; time queries on --dir.")
    parser.add_argument(
        "--add-sentences", action="store_true", help="Give an older --dir its sentence vectors, then stop."
    )
    args = parser.parse_args()
    if args.add_sentences:
        print(json.dumps({"sentences": add_sentences(args.dir)}), flush=True)
        return
    if args.serve_only:
        print(json.dumps(serve(args.dir, args.exact_queries)), flush=True)
        return
    built = build(args)
    print(json.dumps({"build": built}), flush=True)
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--serve-only",
            "--dir",
            str(args.dir),
            "--exact-queries",
            str(args.exact_queries),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    print(proc.stdout, end="")
    served = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps({"build": built, "serve": served}, indent=2))


if __name__ == "__main__":
    main()
