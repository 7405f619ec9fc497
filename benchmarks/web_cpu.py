"""CPU time per request of the main pages, in-process: for comparing two trees side by side on a busy machine.

    python benchmarks/web_cpu.py DATA_DIR     # a data dir made by `paperwire load-sample`

Runs the app with ``TestClient`` (page cache off), warms each path up, then prints the median CPU
milliseconds of this process (the app's threads included) over 60 requests per path. CPU time depends
far less than wall time on what else the machine runs; alternate the trees (PYTHONPATH) in one session.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient

from paperwire.config import load_settings
from paperwire.web.app import create_app


def main() -> None:
    app = create_app(load_settings(data_dir=Path(sys.argv[1]), web_cache_seconds=0))
    out = {}
    with TestClient(app) as client:
        first = client.get("/api/daily_papers?limit=1").json()[0]["paper"]["id"]
        paths = {
            "daily": "/papers",
            "paper": f"/papers/{first}",
            "atom": "/feeds/daily.atom",
            "search": "/search?q=diffusion+model",
            "api": "/api/daily_papers",
        }
        for name, path in paths.items():
            for _ in range(3):
                client.get(path)
            times = []
            for _ in range(60):
                started = time.process_time()
                response = client.get(path)
                times.append(time.process_time() - started)
                assert response.status_code == 200, (path, response.status_code)
            out[name] = round(statistics.median(times) * 1000, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
