"""Search latency on a SciFact-size store, to compare two versions of the code side by side.

    python benchmarks/search_latency.py --store /tmp/search/idx/scifact-int8 --model-dir /tmp/search/data \\
        [--queries ../shared/data/scifact/queries.jsonl] [--n 300] [--rounds 3]

``--store`` is a data directory made by ``benchmarks/search_quality.py`` (a BEIR collection indexed by
the product); ``--model-dir`` a data directory holding the exported model. It times
``SearchService.search(q, limit=20)`` for the first ``--n`` queries in keyword and hybrid mode, after one
warm-up pass, and prints p50/p99 in ms as one JSON line. Run it alternately with ``PYTHONPATH`` pointing
at each version's checkout (the store's index format is the same), so both see the same machine load.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from paperwire.config import load_settings
from paperwire.db.session import make_engine
from paperwire.search.embed import load_embedder
from paperwire.search.service import SearchService

DEFAULT_QUERIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact" / "queries.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with args.queries.open() as fh:
        queries = [str(json.loads(line)["text"]) for line in fh][: args.n]
    embedder = load_embedder(load_settings(data_dir=args.model_dir), device="cpu")
    settings = load_settings(data_dir=args.store)
    engine = make_engine(settings.db_url)
    service = SearchService(settings, engine, embedder=embedder)
    report: dict[str, object] = {"queries": len(queries)}
    for mode in ("keyword", "hybrid"):
        for text in queries:  # warm-up: query vectors cached, files paged in
            service.search(text, mode=mode, limit=20)
        times = []
        for _ in range(args.rounds):
            service = SearchService(settings, engine, embedder=embedder)  # no cached query vectors
            for text in queries:
                started = time.perf_counter()
                service.search(text, mode=mode, limit=20)
                times.append((time.perf_counter() - started) * 1000)
        report[mode] = {
            "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p99_ms": round(float(np.percentile(times, 99)), 2),
        }
    engine.dispose()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
