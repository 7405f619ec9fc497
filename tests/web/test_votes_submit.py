"""Upvoting and submitting through the pages (forms and the page's JSON) and the admin's moderation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from replay_server import ReplayServer, Reply, fixture
from sqlalchemy import Engine
from web.site import csrf, make_user, sign_in

from paperwire.config import Settings
from paperwire.web.app import create_app

PAPER = "2608.19880"


def test_upvote_form_toggles_and_redirects_back(client: TestClient, engine: Engine) -> None:
    make_user(engine, "v@example.org")
    sign_in(client, "v@example.org")
    token = csrf(client, "/papers")
    response = client.post(
        f"/papers/{PAPER}/upvote", data={"csrf_token": token, "next": "/papers"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/papers"
    page = client.get(f"/papers/{PAPER}").text
    assert '<span class="count">164</span>' in page and 'aria-pressed="true"' in page
    again = client.post(
        f"/papers/{PAPER}/upvote", data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert again.json() == {"ok": True, "id": PAPER, "voted": False, "upvotes": 163}


def test_upvote_needs_sign_in_and_csrf(client: TestClient, engine: Engine) -> None:
    token = csrf(client, "/papers")
    anonymous = client.post(
        f"/papers/{PAPER}/upvote", data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert anonymous.status_code == 401 and anonymous.json()["ok"] is False
    make_user(engine, "w@example.org")
    sign_in(client, "w@example.org")
    forged = client.post(f"/papers/{PAPER}/upvote", data={}, headers={"Accept": "application/json"})
    assert forged.status_code == 403 and "CSRF" in forged.json()["error"]
    header = client.post(
        f"/papers/{PAPER}/upvote",
        headers={"X-CSRF-Token": csrf(client, "/papers"), "Accept": "application/json"},
    )
    assert header.json()["voted"] is True


def test_signed_out_upvote_form_leads_to_sign_in_and_back(client: TestClient) -> None:
    token = csrf(client, "/papers")
    response = client.post(
        f"/papers/{PAPER}/upvote",
        data={"csrf_token": token},
        headers={"Referer": "http://testserver/papers/week/2026-W34"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Fpapers%2Fweek%2F2026-W34&done=vote"
    elsewhere = client.post(
        f"/papers/{PAPER}/upvote",
        data={"csrf_token": token},
        headers={"Referer": "https://evil.example/papers"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/signin?next=%2Fpapers&done=vote"


def test_upvote_unknown_paper_is_404(client: TestClient, engine: Engine) -> None:
    make_user(engine, "x@example.org")
    sign_in(client, "x@example.org")
    response = client.post("/papers/2999.99999/upvote", data={"csrf_token": csrf(client, "/papers")})
    assert response.status_code == 404 and "no paper 2999.99999" in response.text


@pytest.fixture
def arxiv_today() -> Iterator[ReplayServer]:
    """A real HTTP arXiv API on 127.0.0.1 answering with the recorded entry, re-dated to today."""
    today = dt.datetime.now(dt.UTC).date().isoformat()
    body = fixture("arxiv_api/arxiv_response.xml").replace(b"2025-10-16", today.encode())
    with ReplayServer() as server:
        server.route("/api/query", Reply(body=body), id_list="2510.14968")
        yield server


@pytest.fixture
def submit_client(settings: Settings, arxiv_today: ReplayServer) -> Iterator[TestClient]:
    settings.arxiv_api_url = f"{arxiv_today.url}/api/query"
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as client:
        yield client
    app.state.engine.dispose()


def test_submit_fetches_from_arxiv_and_lists_today(submit_client: TestClient, engine: Engine) -> None:
    client = submit_client
    make_user(engine, "sub@example.org")
    sign_in(client, "sub@example.org")
    response = client.post(
        "/submit",
        data={"paper": "https://arxiv.org/abs/2510.14968", "csrf_token": csrf(client, "/submit")},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/papers/2510.14968"
    today = client.get("/papers").text  # today's list is now the latest
    assert 'id="p-2510.14968"' in today and "submitted by sub@e" in today
    duplicate = client.post("/submit", data={"paper": "2510.14968", "csrf_token": csrf(client, "/submit")})
    assert duplicate.status_code == 400 and "already on the daily list of" in duplicate.text
    too_old = client.post("/submit", data={"paper": PAPER, "csrf_token": csrf(client, "/submit")})
    assert too_old.status_code == 400 and "already on the daily list of 2026-08-21" in too_old.text
    bad = client.post("/submit", data={"paper": "<img src=x>", "csrf_token": csrf(client, "/submit")})
    assert bad.status_code == 400 and "&lt;img src=x&gt;" in bad.text


def test_admin_hides_a_submission(submit_client: TestClient, engine: Engine) -> None:
    client = submit_client
    make_user(engine, "boss@example.org", role="admin")
    sign_in(client, "boss@example.org")
    client.post("/submit", data={"paper": "2510.14968", "csrf_token": csrf(client, "/submit")})
    admin = client.get("/admin").text
    assert "2510.14968" in admin
    entry_id = int(admin.split("/admin/entries/", 1)[1].split("/", 1)[0])
    client.post(
        f"/admin/entries/{entry_id}/hide", data={"hidden": "true", "csrf_token": csrf(client, "/admin")}
    )
    assert 'id="p-2510.14968"' not in client.get("/papers").text
    assert "2510.14968" not in client.get("/api/daily_papers").text
    client.post(
        f"/admin/entries/{entry_id}/hide", data={"hidden": "false", "csrf_token": csrf(client, "/admin")}
    )
    assert 'id="p-2510.14968"' in client.get("/papers").text
