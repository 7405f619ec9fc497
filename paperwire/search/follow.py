"""Keep a node's own indexes caught up with the store: ``paperwire index --follow``, which ``paperwire
serve`` starts beside the web app.

A pass every ``interval`` seconds runs the normal catch-up (``indexer.catch_up``), so a paper committed
to the store is searchable on every node within one interval plus the time to embed it. The process
lowers its own priority (nice 10) so that embedding never slows page serving, and ends when the
process that started it is gone (a killed ``serve`` leaves nothing behind). When the model cannot be
loaded the keyword index is still kept up, and the model is tried again every ``MODEL_RETRY`` seconds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from paperwire.config import Settings
from paperwire.search import indexer
from paperwire.search.embed import Embedder, ModelUnavailable, load_embedder

log = logging.getLogger(__name__)
NICENESS = 10
MODEL_RETRY = 600.0


def lower_priority() -> None:
    """Nice 10: the web workers (nice 0) get the cores first whenever they want them."""
    os.nice(max(0, NICENESS - os.nice(0)))


def follow(
    settings: Settings,
    engine: Engine,
    *,
    interval: float,
    stop: threading.Event | None = None,
    on_pass: Callable[[dict[str, int]], None] = lambda _counts: None,
) -> None:
    """Catch up every ``interval`` seconds until ``stop`` is set or the parent process is gone."""
    stop = stop or threading.Event()
    parent = os.getppid()
    embedder: Embedder | None = None
    model_tried = -MODEL_RETRY
    while not stop.is_set() and os.getppid() == parent:
        if embedder is None and time.monotonic() - model_tried >= MODEL_RETRY:
            model_tried = time.monotonic()
            try:
                embedder = load_embedder(settings)
            except ModelUnavailable as exc:
                log.warning("semantic index not kept up: %s", exc)
        try:
            lag = indexer.index_lag(settings, engine)
            if lag.keyword or (embedder is not None and lag.vectors != 0):
                counts = indexer.catch_up(settings, engine, embedder=embedder, use_model=False)
            else:  # nothing new: the indexes are not even opened (a large HNSW graph takes seconds)
                counts = {"papers_seen": 0}
        except Exception:
            log.exception("index pass failed; trying again in %s s", interval)
        else:
            if counts["papers_seen"]:
                log.info("indexed %s", counts)
            on_pass(counts)
        deadline = time.monotonic() + interval
        while not stop.is_set() and os.getppid() == parent and time.monotonic() < deadline:
            stop.wait(min(1.0, max(0.0, deadline - time.monotonic())))
