"""Pool workers end with the process that started them, even when it is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PARENT = """
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from paperwire.processes import exit_with_parent

if __name__ == "__main__":
    watch = sys.argv[1] == "watch"
    pool = ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("spawn"), initializer=exit_with_parent if watch else None
    )
    print(pool.submit(os.getpid).result(), flush=True)
    time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie waiting to be reaped has ended


def worker_after_parent_is_killed(mode: str) -> tuple[int, bool]:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, mode], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return worker, alive(worker)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_ends_when_its_parent_is_killed() -> None:
    worker, lingering = worker_after_parent_is_killed("plain")
    if lingering:  # what happens without the watcher: the worker waits forever
        os.kill(worker, signal.SIGKILL)
    assert lingering, "a plain pool worker did not outlive its parent: this test would prove nothing"
    _, lingering = worker_after_parent_is_killed("watch")
    assert not lingering
