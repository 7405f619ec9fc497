"""The JSON API: Hugging Face's shapes, parameters, errors, tokens, and the OpenAPI document."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from web.site import make_user

from paperwire.accounts.sessions import create_api_token


def bearer(client: TestClient, engine: Engine, email_address: str) -> TestClient:
    user = make_user(engine, email_address)
    with Session(engine) as db:
        token = create_api_token(db, user, "test").token
        db.commit()
    return TestClient(client.app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})


def test_daily_papers_has_hugging_face_shape(client: TestClient) -> None:
    items = client.get("/api/daily_papers").json()
    assert len(items) == 17
    first = items[0]
    assert first["paper"]["id"] == "2608.19880" and first["paper"]["upvotes"] == 163
    assert first["paper"]["authors"][0] == {"name": "Chengsong Huang"}
    assert first["paper"]["githubRepo"] == "https://github.com/google-research/envharness"
    assert first["paper"]["publishedAt"] == "2026-08-20T00:00:00.000Z"
    assert first["paper"]["submittedOnDailyAt"] == "2026-08-21T00:00:00.000Z"
    assert first["title"] == first["paper"]["title"] and first["summary"].startswith("LLM agents")
    assert first["numComments"] == 1 and first["submittedBy"]["fullname"] == "taesiri"


def test_daily_papers_parameters(client: TestClient) -> None:
    assert len(client.get("/api/daily_papers?date=2026-08-21&limit=5").json()) == 5
    page2 = client.get("/api/daily_papers?date=2026-08-21&limit=5&p=1").json()
    assert page2[0]["paper"]["id"] == "2608.20202"  # the sixth most upvoted (24)
    assert client.get("/api/daily_papers?date=2026-08-22").json() == []
    assert len(client.get("/api/daily_papers?week=2026-W34").json()) == 17
    assert len(client.get("/api/daily_papers?month=2026-08").json()) == 17
    trending = client.get("/api/daily_papers?sort=trending").json()
    assert trending[0]["paper"]["id"] == "2608.19880"
    newest = client.get("/api/daily_papers?sort=publishedAt").json()
    assert [i["paper"]["publishedAt"] for i in newest] == sorted(
        (i["paper"]["publishedAt"] for i in newest), reverse=True
    )


def test_bad_parameters_are_422_json(client: TestClient) -> None:
    for query in (
        "date=yesterday",
        "week=2026-34",
        "month=2026-13",
        "week=2026-W99",
        "sort=random",
        "limit=0",
        "limit=1000",
        "p=-1",
        "date=2026-08-21&month=2026-08",
    ):
        response = client.get(f"/api/daily_papers?{query}")
        assert response.status_code == 422, query
        body = response.json()
        assert body["ok"] is False and body["status"] == 422 and body["error"], query


def test_paper_by_id(client: TestClient) -> None:
    paper = client.get("/api/papers/2608.19880").json()
    assert paper["id"] == "2608.19880" and paper["upvotes"] == 163
    assert client.get("/api/papers/arXiv:2608.19880v1").json()["id"] == "2608.19880"
    missing = client.get("/api/papers/2999.99999")
    assert missing.status_code == 404
    assert missing.json() == {"ok": False, "error": "no paper 2999.99999 in this store", "status": 404}


def test_search(client: TestClient) -> None:
    hits = client.get("/api/papers/search", params={"q": "environment harness", "limit": 3}).json()
    assert hits and hits[0]["paper"]["id"] == "2608.19880"
    assert client.get("/api/papers/search").status_code == 422
    assert client.get("/api/papers/search", params={"q": "x" * 600}).status_code == 422


def test_upvote_with_api_token(client: TestClient, engine: Engine) -> None:
    api = bearer(client, engine, "api@example.org")
    assert api.post("/api/papers/2608.19880/upvote").json() == {
        "ok": True,
        "id": "2608.19880",
        "voted": True,
        "upvotes": 164,
    }
    assert api.post("/api/papers/2608.19880/upvote").json()["upvotes"] == 164  # idempotent
    assert api.delete("/api/papers/2608.19880/upvote").json()["upvotes"] == 163
    other = bearer(client, engine, "other@example.org")
    other.post("/api/papers/2608.19880/upvote")
    api.delete("/api/papers/2608.19880/upvote")  # one user cannot take back another's vote
    assert client.get("/api/papers/2608.19880").json()["upvotes"] == 164


def test_api_writes_need_a_valid_token(client: TestClient) -> None:
    anonymous = client.post("/api/papers/2608.19880/upvote")
    assert anonymous.status_code == 401 or anonymous.status_code == 403
    forged = client.post("/api/papers/2608.19880/upvote", headers={"Authorization": "Bearer pw_forged"})
    assert forged.status_code == 401 and forged.json()["error"] == "invalid or revoked API token"
    submit = client.post(
        "/api/papers/submit", json={"id": "2608.19880"}, headers={"Authorization": "Bearer nope"}
    )
    assert submit.status_code == 401


def test_submit_through_api_refuses_duplicates(client: TestClient, engine: Engine) -> None:
    api = bearer(client, engine, "s@example.org")
    response = api.post("/api/papers/submit", json={"id": "2608.19880"})
    assert response.status_code == 409
    assert response.json()["error"] == "2608.19880 is already on the daily list of 2026-08-21"
    assert api.post("/api/papers/submit", json={"id": ""}).status_code == 422
    assert (
        api.post(
            "/api/papers/submit", content=b"{not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 422
    )


def test_openapi_is_served_and_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"/api/daily_papers", "/api/papers/search", "/api/papers/{arxiv_id}", "/api/papers/submit"} <= set(
        paths
    )
    params = {p["name"]: p for p in paths["/api/daily_papers"]["get"]["parameters"]}
    assert set(params) == {"date", "week", "month", "sort", "p", "limit"}
    assert params["limit"]["schema"]["maximum"] == 100
    assert "/papers" not in paths  # pages are not part of the API


def test_the_api_docs_page_uses_assets_the_app_serves(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(url.startswith("/static/") for url in assets), assets
    for url in assets:
        assert client.get(url).status_code == 200, url
    assert "'/openapi.json'" in page.text or '"/openapi.json"' in page.text
