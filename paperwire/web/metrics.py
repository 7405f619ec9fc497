"""Prometheus metrics: request counts and latency by route, search latency by mode, and the store's state.

Requests and searches are counted in the process that serves them; ``paperwire serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at ``<data_dir>/metrics`` before its workers start, so a scrape of any worker
sums all of them (prometheus-client's multiprocess mode). Index lag, outbox sizes and ingest totals are
read from the store at scrape time, so every node reports the same store and nothing has to be pushed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from starlette.types import Message, Receive, Scope, Send

from paperwire.config import Settings
from paperwire.web.middleware import HttpMiddleware, on_response_start

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Pages answer in milliseconds; searches and cold pages in tenths of a second.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "paperwire_http_requests",
    "HTTP requests answered, by route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "paperwire_http_request_duration_seconds",
    "Time to answer a request, by route template.",
    ["route"],
    buckets=BUCKETS,
)
SEARCH_LATENCY = Histogram(
    "paperwire_search_duration_seconds",
    "Time to compute a search, by the mode that answered.",
    ["mode"],
    buckets=BUCKETS,
)


def observe_search(mode: str, seconds: float) -> None:
    SEARCH_LATENCY.labels(mode).observe(seconds)


class MetricsMiddleware(HttpMiddleware):
    """Times every HTTP request and labels it with the route that matched (``/papers/{arxiv_id}``)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        def note_status(message: Message) -> None:
            nonlocal status
            status = message["status"]

        try:
            await self.app(scope, receive, on_response_start(send, note_status))
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], name, str(status)).inc()
            LATENCY.labels(name).observe(time.perf_counter() - started)


class StoreCollector(Collector):
    """The store's state at scrape time: index lag of this node, the digest outbox, ingest totals."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        from paperwire.status import status_report

        report = status_report(self.engine, self.settings)
        lag = GaugeMetricFamily(
            "paperwire_index_lag_papers",
            "Papers in the store not yet in this node's index.",
            labels=["index"],
        )
        for index, value in report.index.items():
            if value is not None:  # no vector index: semantic search is off, nothing lags
                lag.add_metric([index], float(value))
        yield lag
        outbox = GaugeMetricFamily(
            "paperwire_digest_outbox_emails", "Digest emails by state.", labels=["state"]
        )
        for state in ("queued", "retrying", "sending", "failed"):
            outbox.add_metric([state], float(getattr(report.outbox, state)))
        yield outbox
        yield GaugeMetricFamily(
            "paperwire_digest_paused_addresses",
            "Subscriptions paused after permanent delivery failures.",
            value=float(report.outbox.paused_addresses),
        )
        records = GaugeMetricFamily(
            "paperwire_ingest_last_run_records",
            "Records of each source's last ingest run, by outcome.",
            labels=["source", "outcome"],
        )
        age = GaugeMetricFamily(
            "paperwire_source_last_success_age_hours",
            "Hours since each source's last good ingest run.",
            labels=["source"],
        )
        for source in report.sources:
            if source.last_run is not None:
                for outcome, value in source.last_run.counts.items():
                    records.add_metric([source.source, outcome], float(value))
            if source.hours_since_success is not None:
                age.add_metric([source.source], source.hours_since_success)
        yield records
        yield age


def exposition(engine: Engine, settings: Settings) -> tuple[bytes, str]:
    """The scrape body: this process's (or every worker's) counters, then the store's state."""
    if MULTIPROC_ENV in os.environ:
        live = CollectorRegistry()
        multiprocess.MultiProcessCollector(live)  # type: ignore[no-untyped-call]
    else:
        live = REGISTRY
    store = CollectorRegistry(auto_describe=False)
    store.register(StoreCollector(engine, settings))
    return generate_latest(live) + generate_latest(store), CONTENT_TYPE_LATEST
