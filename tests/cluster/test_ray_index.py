"""`paperwire index --ray`: bulk embedding on a real local Ray cluster (a head on 127.0.0.1 with two CPU
workers) gives the local path's vectors, even when a worker and then the driver are killed mid-run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cluster.conftest import node_dir
from cluster.processes import free_port, kill_marked, marked, wait_for
from search.conftest import listing_slice
from sqlalchemy import select

from paperwire.config import load_settings
from paperwire.db.migrate import upgrade
from paperwire.db.models import Paper
from paperwire.db.session import make_engine
from paperwire.ingest.runner import run_ingest
from paperwire.search import indexer
from paperwire.search.embed import DIM, load_embedder
from paperwire.search.vectors import VectorIndex

if not os.environ.get("CI"):  # CI installs the test extra, ray included: there a missing ray fails
    pytest.importorskip("ray")
pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.timeout(300)]
PAPERS = 100
BATCH = 20  # five batches, so there is a mid-run to kill things in


@pytest.fixture
def ray_head() -> Iterator[tuple[str, str]]:
    """(address, marker): a Ray head on 127.0.0.1 with two CPUs, ended by its marker afterwards."""
    marker = uuid.uuid4().hex
    port = free_port()
    env = dict(os.environ, PAPERWIRE_TEST_MARK=marker, RAY_USAGE_STATS_ENABLED="0")
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)  # workers import this paperwire
    ray_bin = Path(sys.executable).with_name("ray")
    temp = Path(tempfile.mkdtemp(prefix="pwray-", dir="/tmp"))  # Ray's socket paths must stay short
    try:
        started = subprocess.run(
            [str(ray_bin), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
             "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert started.returncode == 0, started.stdout + started.stderr
        yield f"127.0.0.1:{port}", marker
    finally:
        kill_marked(marker)
        shutil.rmtree(temp, ignore_errors=True)


def _state(data_dir: Path) -> indexer.IndexState:
    return indexer.IndexState.load(data_dir / "index")


def test_ray_vectors_equal_local_ones_despite_killed_worker_and_driver(
    ray_head: tuple[str, str], model_files: Path, tmp_path: Path
) -> None:
    address, marker = ray_head
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    local = load_settings(data_dir=node_dir(model_files, tmp_path / "local"), database_url=db_url)
    run_ingest(engine, "arxiv-daily", [str(listing_slice(tmp_path / "l.jsonl.gz", 0, PAPERS))], local)
    indexer.catch_up(local, engine, embedder=load_embedder(local, device="cpu"))

    remote_dir = node_dir(model_files, tmp_path / "ray")
    env = dict(os.environ, PAPERWIRE_INDEX_BATCH_SIZE=str(BATCH))
    command = [sys.executable, "-m", "paperwire", "--db", db_url, "--data-dir", str(remote_dir)]
    driver = subprocess.Popen([*command, "index", "--ray", address, "--json"], env=env)
    try:
        wait_for(lambda: _state(remote_dir).vector_id > 0, 180, "the first batch on Ray")
        workers = [pid for pid, cmd in marked(marker).items() if cmd.startswith("ray::EmbedWorker")]
        assert len(workers) == 2, marked(marker)
        os.kill(workers[0], signal.SIGKILL)
        first = _state(remote_dir).vector_id
        wait_for(lambda: _state(remote_dir).vector_id > first, 180, "a batch after the worker was killed")
        assert driver.poll() is None, "the run ended before the driver could be killed mid-run"
        driver.send_signal(signal.SIGKILL)
        driver.wait(30)
    finally:
        if driver.poll() is None:
            driver.kill()
    done = _state(remote_dir)
    assert done.vector_id > 0, "nothing was committed before the driver died"
    rerun = subprocess.run(
        [*command, "index", "--ray", address, "--json"], env=env, capture_output=True, text=True, timeout=240
    )
    assert rerun.returncode == 0, rerun.stderr
    counts = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert 0 < counts["embedded"] < PAPERS, counts  # resumed: only what the killed run had not committed
    assert counts["vectors"] == PAPERS

    ours = VectorIndex.open(indexer.vector_dir(local), DIM)
    theirs = VectorIndex.open(remote_dir / "index" / "vectors", DIM)
    with engine.connect() as conn:
        ids = [int(i) for i in conn.execute(select(Paper.id)).scalars()]
    assert len(ids) == PAPERS and ours.present(ids) == theirs.present(ids) == ids
    cosine = np.sum(ours.get(ids) * theirs.get(ids), axis=1)
    assert float(cosine.min()) >= 0.9999, float(cosine.min())
    engine.dispose()
