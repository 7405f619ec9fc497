"""Load-test the web service with wrk on loopback: requests/s and latency for the main pages and the API.

    python benchmarks/web_wrk.py [--data-dir DIR] [--duration 10] [--connections 32] [--threads 2] [--workers N]

Builds (once, reused when present) a store with the bundled sample plus every Hugging Face daily list in
/work/shared/data/hf-daily-papers (9.9k papers), builds the search index when the CLI has one, starts
`paperwire serve` on 127.0.0.1 and runs `wrk -t2 -c32 -d10s --latency` against the daily page, a paper
page, the search page and /api/daily_papers. The baseline, run in the same process on the same machine,
is a bare ASGI app answering a fixed 1 kB page through the same uvicorn server: the ratio says how much
of the server's ceiling each page keeps.

"server CPU ms/req" is the CPU time the server's processes used during a run divided by the requests
answered: unlike req/s it barely depends on what else the machine is doing. The repeated-URL rows let
the server answer from its caches (the anonymous page cache, the search-result cache); the "distinct
queries" rows send a random two-word query from a 10,000-query pool with each request (wrk Lua script),
so nearly every search is computed afresh: that is the cost of a search nobody made a moment ago.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from paperwire.config import Settings

ROOT = Path(__file__).resolve().parent.parent
HF_DAILY = ROOT.parent / "shared" / "data" / "hf-daily-papers"
TARGETS = {"daily page": (500.0, 200.0), "search page": (100.0, 200.0)}  # min req/s, max p99 ms
BASELINE_APP = """
import uvicorn
PAGE = b"<!doctype html><title>hello</title>" + b"x" * 1000
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/html; charset=utf-8")]})
    await send({"type": "http.response.body", "body": PAGE})
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


# Two of these per distinct query (100 x 100 pairs): common words of paper titles in this store.
QUERY_WORDS = """diffusion transformer language model reinforcement learning graph neural vision robot agent
reasoning video image speech retrieval benchmark alignment quantization sparse attention multimodal policy memory
planning token generation training inference efficient scaling data synthetic evaluation instruction tuning
preference reward search code math physics 3d scene motion human feedback safety privacy federated adversarial
robust uncertainty causal knowledge question answering translation summarization dialogue audio music medical
clinical protein molecular chemistry weather climate time series forecasting recommendation ranking embedding
contrastive self-supervised representation segmentation detection tracking depth editing style latent flow
kernel optimization gradient convergence theory bayesian sampling compression distillation pruning hardware
long context world""".split()  # noqa: SIM905 (a hundred words read better as text)
DISTINCT_QUERIES_LUA = """
local words = { WORDS }
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  math.randomseed(os.time() + 7919 * id)
end
function request()
  local a = words[math.random(#words)]
  local b = words[math.random(#words)]
  return wrk.format("GET", PATH .. a .. "+" .. b)
end
"""


@dataclass
class WrkResult:
    name: str
    url: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int
    socket_errors: str
    cpu_ms: float | None = None  # server CPU per request


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def paperwire(data_dir: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "paperwire", "--data-dir", str(data_dir), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_store(data_dir: Path) -> None:
    """Sample + all HF daily lists; a finished store is marked so later runs reuse it. The search index is
    caught up either way (a no-op when current; after an index format change it is made again)."""
    stamp = data_dir / "web_wrk.ready"
    started = time.perf_counter()
    if stamp.exists():
        print(f"reusing store in {data_dir}")
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        paperwire(data_dir, "load-sample")
        paperwire(data_dir, "ingest", "hf-daily", "-q", str(HF_DAILY))
    paperwire(data_dir, "index")
    print(f"store ready in {time.perf_counter() - started:.1f}s")
    print(paperwire(data_dir, "stats").strip())
    stamp.write_text("ok\n")


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer 200 within {timeout}s")


def fetch(url: str) -> bytes:
    response = httpx.get(url, timeout=30)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:200]}")
    return response.content


def duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"cannot read wrk duration {text!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (uvicorn's worker processes), now."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    wanted, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent and child not in wanted]
        wanted.update(children)
        frontier.extend(children)
    return sum(times.get(p, 0.0) for p in wanted)


def run_wrk(
    name: str, url: str, args: argparse.Namespace, server_pid: int | None = None, script: Path | None = None
) -> WrkResult:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    cpu_used = tree_cpu_seconds(server_pid) - cpu_before if server_pid else None
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = duration_ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = duration_ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad_match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    return WrkResult(
        name,
        url,
        rps,
        p50,
        p99,
        total,
        int(bad_match.group(1)) if bad_match else 0,
        errors.group(1).strip() if errors else "none",
        cpu_used * 1000 / total if cpu_used is not None and total else None,
    )


def start(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/paperwire-web-bench"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--query", default="diffusion")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="`paperwire serve --workers` (default: serve's, one per core)",
    )
    args = parser.parse_args()
    if args.workers is None:
        args.workers = Settings().web_workers
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    if not HF_DAILY.is_dir():
        raise SystemExit(f"{HF_DAILY} is missing")

    build_store(args.data_dir)
    results: list[WrkResult] = []
    load_before = os.getloadavg()[0]

    port = free_port()
    baseline = start([sys.executable, "-c", BASELINE_APP.replace("{port}", str(port))])
    try:
        wait_ready(f"http://127.0.0.1:{port}/", baseline)
        results.append(run_wrk("baseline (bare ASGI)", f"http://127.0.0.1:{port}/", args))
    finally:
        stop(baseline)

    port = free_port()
    env = {**os.environ, "PAPERWIRE_BASE_URL": f"http://127.0.0.1:{port}"}
    server = start(
        [
            sys.executable,
            "-m",
            "paperwire",
            "--data-dir",
            str(args.data_dir),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/papers", server)
        listing = json.loads(fetch(f"{base}/api/daily_papers?limit=1"))
        arxiv_id = listing[0]["paper"]["id"]
        urls = {
            "daily page": f"{base}/papers",
            "paper page": f"{base}/papers/{arxiv_id}",
            "search page": f"{base}/search?q={args.query}",
            "/api/daily_papers": f"{base}/api/daily_papers",
            "/api/papers/search": f"{base}/api/papers/search?q={args.query}",
        }
        for name, url in urls.items():
            fetch(url)  # warm caches and fail early on a non-200
            results.append(run_wrk(name, url, args, server.pid))
        with tempfile.TemporaryDirectory() as scratch:
            words = ", ".join(json.dumps(w) for w in QUERY_WORDS)
            for name, path in (
                ("search, distinct q", "/search?q="),
                ("api search, dist. q", "/api/papers/search?q="),
            ):
                script = Path(scratch) / "distinct.lua"
                script.write_text(
                    DISTINCT_QUERIES_LUA.replace("WORDS", words).replace("PATH", json.dumps(path))
                )
                fetch(f"{base}{path}warm+up")
                results.append(run_wrk(name, f"{base}{path}", args, server.pid, script))
    finally:
        stop(server)

    ceiling = results[0].requests_per_s
    print()
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(
        f"1-min load average (other work on the machine): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency; "
        f"paperwire serve --workers {args.workers}; store: {args.data_dir}"
    )
    print(
        f"{'endpoint':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs base':>8} "
        f"{'CPU ms/req':>10}  target"
    )
    for r in results:
        target = TARGETS.get(r.name)
        verdict = ""
        if target:
            ok = r.requests_per_s >= target[0] and r.p99_ms < target[1]
            verdict = f"{'ok' if ok else 'MISSED'} (>= {target[0]:.0f} req/s, p99 < {target[1]:.0f} ms)"
        elif r.name != results[0].name:
            verdict = f"{'ok' if r.p99_ms < 200 else 'MISSED'} (p99 < 200 ms)"
        cpu = f"{r.cpu_ms:.2f}" if r.cpu_ms is not None else "-"
        print(
            f"{r.name:<22} {r.requests_per_s:>9.1f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.bad:>8d} "
            f"{r.requests_per_s / ceiling:>7.2f}x {cpu:>10}  {verdict}"
        )
        if r.socket_errors != "none":
            print(f"{'':<22} socket errors: {r.socket_errors}")


if __name__ == "__main__":
    main()
