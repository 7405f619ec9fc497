"""Processes: workers that do not outlive the process that started them, and whether a recorded owner lives."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import socket
import threading


def exit_with_parent() -> None:
    """A process pool's initializer: end this worker when its parent dies, even by SIGKILL.

    A pool worker otherwise waits forever on its task queue, whose writing end it holds itself, so a
    killed ``paperwire ingest`` or ``index`` would leave its workers behind.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def this_process() -> str:
    """How a run or a lock names the process that owns it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_state(owner: object) -> str:
    """Whether the process an owner names (``host:pid``, maybe followed by ``:anything``) is ``alive``,
    ``gone`` (this host has no such process, or the owner names none), or ``unknown`` (another host's)."""
    if not isinstance(owner, str) or ":" not in owner:
        return "gone"
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname():
        return "unknown"
    if not pid.isdigit():
        return "gone"
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        return "alive"
    return "alive"
