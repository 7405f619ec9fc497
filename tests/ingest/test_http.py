"""The polite HTTP client against a real server on 127.0.0.1: pacing, Retry-After, retries, errors."""

from __future__ import annotations

import datetime as dt
import itertools
import socket
import time
from collections.abc import Iterator

import pytest
from replay_server import ReplayServer, Reply

from paperwire.config import load_settings
from paperwire.ingest.http import HttpError, PoliteClient, retry_after
from paperwire.ingest.inputs import InputError

# The client spaces request *starts*; on a busy machine their arrivals can bunch up by a few ms.
ARRIVAL_JITTER = 0.05


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


def client(interval: float = 0.0, retries: int = 2, backoff: float = 0.05) -> PoliteClient:
    return PoliteClient(interval=interval, timeout=5, retries=retries, backoff=backoff)


def gaps(server: ReplayServer, path: str) -> list[float]:
    times = [seen.at for seen in server.requests(path)]
    return [b - a for a, b in itertools.pairwise(times)]


def test_requests_are_spaced_by_the_interval(server: ReplayServer) -> None:
    server.route("/x", Reply(body=b"ok", content_type="text/plain"))
    started = time.monotonic()
    with client(interval=0.2) as http:
        bodies = [http.get(f"{server.url}/x").text for _ in range(3)]
    assert bodies == ["ok"] * 3
    assert time.monotonic() - started >= 0.4
    assert all(gap >= 0.2 - ARRIVAL_JITTER for gap in gaps(server, "/x"))


def test_from_settings_uses_the_configured_interval_and_retries(server: ReplayServer) -> None:
    settings = load_settings(request_interval=0.15, http_retries=1, http_timeout=5)
    busy = Reply(503, headers={"Retry-After": "0"})
    server.route("/x", busy, busy, Reply(body=b"late"))
    with PoliteClient.from_settings(settings) as http, pytest.raises(HttpError, match="gave up after 2"):
        http.get(f"{server.url}/x")
    assert len(server.requests("/x")) == 2
    assert gaps(server, "/x")[0] >= 0.15 - ARRIVAL_JITTER


def test_503_waits_for_retry_after(server: ReplayServer) -> None:
    server.route("/x", Reply(503, headers={"Retry-After": "1"}), Reply(body=b"<ok/>"))
    with client() as http:
        assert http.get(f"{server.url}/x").text == "<ok/>"
    assert len(server.requests("/x")) == 2
    assert gaps(server, "/x")[0] >= 0.95


def test_429_with_an_http_date_is_honoured(server: ReplayServer) -> None:
    server.route(
        "/x", Reply(429, headers={"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"}), Reply(body=b"ok")
    )
    with client() as http:
        assert http.get(f"{server.url}/x").text == "ok"
    assert len(server.requests("/x")) == 2


def test_retry_after_parses_seconds_and_dates() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after("7", now) == 7.0
    assert retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


def test_a_retry_after_beyond_the_cap_is_an_error_not_a_wait(server: ReplayServer) -> None:
    server.route("/x", Reply(503, headers={"Retry-After": "86400"}), Reply(body=b"ok"))
    started = time.monotonic()
    with client() as http, pytest.raises(HttpError, match="retry after 86400 s"):
        http.get(f"{server.url}/x")
    assert time.monotonic() - started < 2
    assert len(server.requests("/x")) == 1


def test_server_errors_and_dropped_connections_are_retried(server: ReplayServer) -> None:
    server.route("/x", Reply(500), Reply(drop=True), Reply(502), Reply(body=b"fine"))
    with client(retries=3) as http:
        assert http.get(f"{server.url}/x").text == "fine"
    assert len(server.requests("/x")) == 4
    assert all(gap >= 0.04 for gap in gaps(server, "/x"))


def test_retries_are_bounded_and_the_error_names_the_url(server: ReplayServer) -> None:
    server.route("/x", Reply(503))
    with client(retries=2) as http, pytest.raises(HttpError) as caught:
        http.get(f"{server.url}/x", {"q": "a b"})
    message = str(caught.value)
    assert f"{server.url}/x?q=a+b" in message
    assert "HTTP 503" in message
    assert "gave up after 3 attempts" in message
    assert "\n" not in message
    assert len(server.requests("/x")) == 3


def test_client_errors_fail_at_once(server: ReplayServer) -> None:
    server.route("/x", Reply(404, b"no such day", "text/plain"))
    with client() as http, pytest.raises(InputError, match="HTTP 404 Not Found: no such day"):
        http.get(f"{server.url}/x")
    assert len(server.requests("/x")) == 1


def test_allowed_statuses_come_back_to_the_caller(server: ReplayServer) -> None:
    server.route("/x", Reply(400, b"<error/>"))
    with client() as http:
        response = http.get(f"{server.url}/x", allow=(400,))
    assert response.status_code == 400
    assert response.text == "<error/>"


def test_an_unreachable_server_is_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with client(retries=1) as http, pytest.raises(HttpError, match="ConnectError") as caught:
        http.get(f"http://127.0.0.1:{port}/x")
    assert "gave up after 2 attempts" in str(caught.value)
