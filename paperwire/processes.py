"""Worker processes that do not outlive the process that started them."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
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
