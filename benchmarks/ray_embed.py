"""Bulk embedding throughput: the local path (`paperwire index`'s ONNX int8 embedder, every core) against
`paperwire index --ray` with two CPU workers on a local Ray head, on the same real texts, alternating.

    python benchmarks/ray_embed.py [--papers 300] [--rounds 2] [--data-dir /tmp/cluster/bench]

The texts are the units paperwire embeds (each paper's title and each abstract sentence) of the first
``--papers`` papers of the bundled sample. Each round embeds them once with each path, one after the
other, so load from other processes falls on both alike; the Ray head (127.0.0.1, 2 CPUs) is started
by the script and stopped by its process ids. Reports texts/s per path per round and the cosine between
the two paths' vectors (they should be equal: both run the same int8 model one text per run).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import paperwire.sample
from paperwire.config import load_settings
from paperwire.search.embed import load_embedder
from paperwire.search.ray_embed import RayEmbedder
from paperwire.search.sentences import paper_units

LISTINGS = Path(paperwire.sample.__file__).resolve().parent / "arxiv-listings.jsonl.gz"


def texts(papers: int) -> list[str]:
    with gzip.open(LISTINGS, "rt") as fh:
        items = [json.loads(line) for _, line in zip(range(papers), fh, strict=False)]
    return [unit for item in items for unit in paper_units(item["title"], item["summary"])]


def start_head(marker: str, temp: Path) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PAPERWIRE_BENCH_MARK=marker, RAY_USAGE_STATS_ENABLED="0")
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    subprocess.run(
        [str(Path(sys.executable).with_name("ray")), "start", "--head", "--node-ip-address=127.0.0.1",
         f"--port={port}", "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
         f"--temp-dir={temp}"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    return f"127.0.0.1:{port}"


def stop_head(marker: str) -> None:
    needle = f"PAPERWIRE_BENCH_MARK={marker}".encode()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and needle in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/paperwire-ray-bench"))
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir)
    local = load_embedder(settings, device="cpu")  # exports the model into --data-dir once
    batch = texts(args.papers)
    print(f"{args.papers} papers, {len(batch)} texts; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    marker = os.urandom(8).hex()
    temp = Path(tempfile.mkdtemp(prefix="pwray-", dir="/tmp"))  # Ray's socket paths must stay short
    try:
        address = start_head(marker, temp)
        remote = RayEmbedder(address, settings, workers=2)
        remote.encode_documents(batch[:8])  # the actors load the model before the clock starts
        for round_ in range(1, args.rounds + 1):
            started = time.perf_counter()
            ours = local.encode_documents(batch)
            local_s = time.perf_counter() - started
            started = time.perf_counter()
            theirs = remote.encode_documents(batch)
            ray_s = time.perf_counter() - started
            cosine = float(np.min(np.sum(ours * theirs, axis=1)))
            print(
                f"round {round_}: local {len(batch) / local_s:.1f} texts/s ({local_s:.1f} s), "
                f"Ray 2 workers {len(batch) / ray_s:.1f} texts/s ({ray_s:.1f} s), ratio {local_s / ray_s:.2f}, "
                f"min cosine {cosine:.6f}, load {os.getloadavg()[0]:.1f}"
            )
        remote.close()
    finally:
        stop_head(marker)
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
