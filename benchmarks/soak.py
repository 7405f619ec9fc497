"""Soak the web service: N minutes of mixed traffic against `paperwire serve --workers 2` on a big store.

    python benchmarks/soak.py [--data-dir DIR] [--minutes 10] [--connections 16] [--workers 2]

The store (built once into DIR, default /tmp/paperwire-soak, and reused) holds every paper of
../shared/data/arxiv-daily (74,728) plus the Hugging Face daily lists of ../shared/data/hf-daily-papers
(for the daily and trending pages), with the search indexes (`paperwire index`; embedding 80k papers
takes hours on 2 cores, so build it once). Each of the connections is a closed loop (next request when
the last one answered) drawing from a mix of daily pages of random listed days, trending, searches of
random two-word queries made from title words (nearly all distinct, so the search caches see a stream of
new entries), paper pages of random papers, the JSON API and the feeds. The server's worker processes'
resident memory is sampled every 5 s.

Targets (issue 11): 0 errors, 0 requests over 2 s, p99 <= 500 ms, and each worker's resident memory
grows by at most 10 % after the first minute. The exit status is 0 when all are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from paperwire.config import load_settings
from paperwire.db.models import DailyEntry, Paper
from paperwire.db.session import make_engine

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SLOW_MS = 2000.0
P99_TARGET_MS = 500.0
GROWTH_TARGET = 0.10
WORD = re.compile(r"[A-Za-z]{4,}")
MIX = {  # kind: weight
    "daily page": 18,
    "trending page": 8,
    "search page": 18,
    "paper page": 24,
    "api daily": 8,
    "api paper": 8,
    "api search": 6,
    "feed": 10,
}


def paperwire(data_dir: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "paperwire", "--data-dir", str(data_dir), *args]
    print("$", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)


def build_store(data_dir: Path, index: bool) -> None:
    """Ingest once (marked by a stamp file); `paperwire index` catches up (a no-op when current)."""
    stamp = data_dir / "soak.ready"
    if not stamp.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        paperwire(data_dir, "init")
        paperwire(data_dir, "ingest", "arxiv-daily", "-q", str(DATA / "arxiv-daily"))
        paperwire(data_dir, "ingest", "hf-daily", "-q", str(DATA / "hf-daily-papers"))
        stamp.write_text("ok\n")
    if index:
        paperwire(data_dir, "index")


@dataclass
class Pools:
    papers: list[str]
    days: list[str]
    queries: list[str]


def pools(data_dir: Path, rng: random.Random) -> Pools:
    settings = load_settings(data_dir=data_dir)
    engine = make_engine(settings.db_url)
    with engine.connect() as conn:
        papers = list(conn.scalars(select(Paper.arxiv_id).order_by(func.random()).limit(20_000)))
        titles = list(conn.scalars(select(Paper.title).order_by(func.random()).limit(5_000)))
        days = [str(d) for d in conn.scalars(select(DailyEntry.day).distinct())]
    engine.dispose()
    words = sorted({w.lower() for title in titles for w in WORD.findall(title)})
    queries = [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(50_000)]
    return Pools(papers, days, queries)


def request_for(kind: str, p: Pools, rng: random.Random) -> str:
    q = rng.choice(p.queries).replace(" ", "+")
    return {
        "daily page": f"/papers?date={rng.choice(p.days)}",
        "trending page": "/papers/trending",
        "search page": f"/search?q={q}",
        "paper page": f"/papers/{rng.choice(p.papers)}",
        "api daily": f"/api/daily_papers?date={rng.choice(p.days)}",
        "api paper": f"/api/papers/{rng.choice(p.papers)}",
        "api search": f"/api/papers/search?q={q}",
        "feed": rng.choice(
            ["/feeds/daily.rss", "/feeds/trending.atom", f"/feeds/search.rss?q={q}", "/feeds/daily.atom"]
        ),
    }[kind]


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)


async def client_loop(base: str, p: Pools, seed: int, until: float, tally: Tally) -> None:
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while time.monotonic() < until:
            kind = rng.choices(kinds, weights)[0]
            path = request_for(kind, p, rng)
            started = time.perf_counter()
            try:
                response = await client.get(path)
                status = response.status_code
            except httpx.HTTPError as exc:
                status, response = 0, None
                tally.errors.append(f"{path}: {type(exc).__name__}")
            tally.latencies[kind].append((time.perf_counter() - started) * 1000)
            if response is not None and status >= 400 and not (status == 404 and kind == "api paper"):
                tally.errors.append(f"{path}: {status}")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def workers(server: int) -> list[int]:
    """uvicorn's worker processes (multiprocessing children that run the app; not the resource tracker)."""
    found = []
    for pid in children(server):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "resource_tracker" not in cmdline:
            found.append(pid)
    return found


def sample_memory(
    server: int, started: float, stop: threading.Event, samples: dict[int, list[tuple[float, float]]]
) -> None:
    while not stop.wait(5.0):
        for pid in workers(server):
            rss = rss_mb(pid)
            if rss is not None:
                samples.setdefault(pid, []).append((time.monotonic() - started, rss))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(stat[11]) + int(stat[12])) / tick
    return total


def busiest_processes() -> str:
    """What else uses the CPU now (the machine is shared): the top five by CPU share, their command."""
    done = subprocess.run(
        ["ps", "-eo", "pcpu,rss,args", "--sort=-pcpu"], capture_output=True, text=True, check=False
    )
    return "\n".join(line[:150] for line in done.stdout.splitlines()[:6])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/paperwire-soak"))
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--no-index", action="store_true", help="Serve the store's indexes as they are (no catch-up first)."
    )
    args = parser.parse_args()

    build_store(args.data_dir, index=not args.no_index)
    rng = random.Random(args.seed)
    p = pools(args.data_dir, rng)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "PAPERWIRE_DATA_DIR": str(args.data_dir)}
    serve = [sys.executable, "-m", "paperwire", "serve", "--port", str(port), "--workers", str(args.workers)]
    server = subprocess.Popen(serve, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/papers", timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        time.sleep(5)  # let each worker load its search model (it starts as the worker starts)
        print(f"load before: {os.getloadavg()}\n{busiest_processes()}", flush=True)
        tally, samples, stop = Tally(), {}, threading.Event()
        serving = [server.pid, *workers(server.pid)]
        cpu_before = cpu_seconds(serving)
        started = time.monotonic()
        sampler = threading.Thread(target=sample_memory, args=(server.pid, started, stop, samples))
        sampler.start()

        async def run() -> None:
            until = time.monotonic() + args.minutes * 60
            loops = [client_loop(base, p, args.seed * 100 + i, until, tally) for i in range(args.connections)]
            await asyncio.gather(*loops)

        asyncio.run(run())
        elapsed = time.monotonic() - started
        server_cpu = cpu_seconds(serving) - cpu_before
        load_after = os.getloadavg()
        busy = busiest_processes()
        stop.set()
        sampler.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)

    every = [ms for values in tally.latencies.values() for ms in values]
    result: dict[str, object] = {
        "command": " ".join(sys.argv),
        "machine": f"{platform.node()}: {os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        "minutes": round(elapsed / 60, 2),
        "requests": len(every),
        "requests_per_s": round(len(every) / elapsed, 1),
        "errors": len(tally.errors),
        "first_errors": tally.errors[:10],
        "over_2s": sum(ms > SLOW_MS for ms in every),
        # Independent of what else runs: the server's CPU time per request, and its share of the cores.
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(every)), 2),
        "server_cores_used": round(server_cpu / elapsed, 2),
        "p50_ms": round(statistics.median(every), 1) if every else None,
        "p99_ms": round(percentile(every, 0.99), 1),
        "max_ms": round(max(every), 1) if every else None,
        "by_kind": {
            kind: {
                "n": len(v),
                "p50_ms": round(percentile(v, 0.5), 1),
                "p99_ms": round(percentile(v, 0.99), 1),
            }
            for kind, v in sorted(tally.latencies.items())
        },
        "index": json.loads((args.data_dir / "index" / "state.json").read_text()),
        "load_after": load_after,
        "busiest_after": busy,
    }
    memory = {}
    worst_growth = 0.0
    for pid, series in sorted(samples.items()):
        after = [rss for t, rss in series if t >= 60]
        first = after[0] if after else series[-1][1]
        growth = (max(after) - first) / first if after else 0.0
        worst_growth = max(worst_growth, growth)
        memory[str(pid)] = {
            "rss_start_mb": round(series[0][1]),
            "rss_at_1min_mb": round(first),
            "rss_end_mb": round(series[-1][1]),
            "rss_max_mb": round(max(rss for _, rss in series)),
            "growth_after_1min": f"{growth:+.1%}",
        }
    result["workers"] = memory
    met = {
        "0 errors": result["errors"] == 0,
        "0 over 2 s": result["over_2s"] == 0,
        "p99 <= 500 ms": float(result["p99_ms"]) <= P99_TARGET_MS,  # type: ignore[arg-type]
        "growth <= 10 %": worst_growth <= GROWTH_TARGET and len(memory) == args.workers,
    }
    result["targets"] = met
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
