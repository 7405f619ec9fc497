"""/status, /api/status, /metrics and the /about charts over a real store."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from paperwire.db.models import IngestRun


def test_status_page_shows_sources_charts_and_links(client: TestClient) -> None:
    page = client.get("/status")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") == 3
    assert 'id="source-hf-daily"' in html
    # The list day's bar, and the newest list day, open that day's list.
    assert 'href="/papers?date=2026-08-21"' in html
    assert "/api/status" in html and "/metrics" in html


def test_api_status_hides_ingest_errors_from_visitors(client: TestClient, engine: Engine) -> None:
    runs = IngestRun.__table__
    error = {"where": "/srv/secret/list.json:3", "id": "2608.1", "field": "title", "reason": "missing"}
    with engine.begin() as conn:
        conn.execute(update(runs).values(errors=[error]))
    data = client.get("/api/status").json()
    hf = next(s for s in data["sources"] if s["source"] == "hf-daily")
    assert hf["last_run"]["list_entries"] > 0 and hf["last_run"]["errors"] == []
    assert hf["newest_list_day"] == "2026-08-21"
    assert "/srv/secret" not in client.get("/status").text
    assert {"index", "outbox", "gaps", "days", "missing_abstracts"} <= set(data)


def test_metrics_are_prometheus_text_with_a_latency_histogram(client: TestClient) -> None:
    assert client.get("/papers").status_code == 200
    assert client.get("/papers/2608.99999").status_code == 404
    scrape = client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    body = scrape.text
    assert "# TYPE paperwire_http_request_duration_seconds histogram" in body
    assert re.search(r'paperwire_http_request_duration_seconds_bucket\{le="0\.005",route="/papers"\}', body)
    assert re.search(
        r'paperwire_http_requests_total\{method="GET",route="/papers/\{arxiv_id:path\}",status="404"\}', body
    )
    lag = re.search(r'paperwire_index_lag_papers\{index="keyword"\} (\d+)', body)
    assert lag and int(float(lag.group(1))) > 0
    assert re.search(
        r'paperwire_ingest_last_run_records\{outcome="daily_new",source="hf-daily"\} [1-9]', body
    )


def test_about_page_draws_the_whole_store(client: TestClient) -> None:
    html = client.get("/about").text
    assert html.count("<svg") == 3
    assert "Papers per month" in html


def test_searches_are_timed_by_the_mode_that_answered(client: TestClient) -> None:
    assert client.get("/search", params={"q": "language model"}).status_code == 200
    body = client.get("/metrics").text
    # No index was built here, so the keyword fallback answered.
    assert re.search(r'paperwire_search_duration_seconds_count\{mode="keyword"\} [1-9]', body)
