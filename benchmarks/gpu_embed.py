"""GPU embedding throughput: paperwire's CUDA path against sentence-transformers fp16, same run, same texts.

    python benchmarks/gpu_embed.py [--limit N] [--batch-size 1024] [--st-batch-size 128]

Needs a CUDA GPU (written for one H100) plus torch, transformers and sentence-transformers. Embeds every
unique paper of ../shared/data/arxiv-daily (74,728 title + abstract texts; ``--limit`` for fewer) with
1. the baseline: sentence-transformers, ``model.half()``, ``encode(batch_size=128)``;
2. paperwire's ``TorchEmbedder`` (fp16, whole corpus tokenised up front in parallel by the Rust
   tokenizer, sorted by length, large batches, results copied back once at the end).
Prints abstracts/s of each (wall time including tokenisation), the ratio (target >= 5x) and the
cosine between the two (fp16 vs fp16: should be > 0.999). Not run in the session that wrote it: no GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from embed_throughput import load_papers

from paperwire.search.embed import TorchEmbedder, document_text
from paperwire.search.model_export import source_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="embed only this many papers")
    parser.add_argument("--batch-size", type=int, default=1024, help="paperwire's batch size")
    parser.add_argument("--st-batch-size", type=int, default=128, help="sentence-transformers' batch size")
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU: this benchmark needs one (the CPU one is embed_throughput.py)")
    texts = [document_text(title, abstract) for title, abstract in load_papers(args.limit)]
    print(f"{len(texts)} texts; GPU: {torch.cuda.get_device_name(0)}", flush=True)

    baseline = SentenceTransformer(str(source_dir()), device="cuda")
    baseline.half()
    ours = TorchEmbedder(source_dir(), device="cuda", fp16=True)
    for warm in (
        lambda: baseline.encode(texts[:256], batch_size=64),
        lambda: ours.encode_documents(texts[:256]),
    ):
        warm()  # CUDA context, kernels, allocator
    torch.cuda.synchronize()

    timings: dict[str, float] = {}
    began = time.perf_counter()
    base = baseline.encode(
        texts, batch_size=args.st_batch_size, normalize_embeddings=True, convert_to_numpy=True
    )
    torch.cuda.synchronize()
    timings["sentence-transformers fp16 (baseline)"] = time.perf_counter() - began

    began = time.perf_counter()
    mine = ours.encode_documents(texts, batch_size=args.batch_size)
    torch.cuda.synchronize()
    timings["paperwire TorchEmbedder fp16"] = time.perf_counter() - began

    cosine = (np.asarray(base, dtype=np.float32) * mine).sum(axis=1)
    base_s = timings["sentence-transformers fp16 (baseline)"]
    print(
        json.dumps(
            {
                "texts": len(texts),
                "gpu": torch.cuda.get_device_name(0),
                "results": {
                    name: {
                        "seconds": round(seconds, 2),
                        "abstracts_per_s": round(len(texts) / seconds),
                        "ratio_vs_baseline": round(base_s / seconds, 2),
                    }
                    for name, seconds in timings.items()
                },
                "cosine_mean": round(float(cosine.mean()), 5),
                "cosine_min": round(float(cosine.min()), 5),
                "peak_gpu_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
