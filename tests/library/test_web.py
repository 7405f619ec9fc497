"""The library over HTTP: the real app in-process, real SQLite and PostgreSQL stores, signed-in users."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperwire.accounts.service import create_user
from paperwire.accounts.sessions import create_api_token
from paperwire.config import Settings, load_settings
from paperwire.db.models import Paper
from paperwire.ingest.runner import run_ingest
from paperwire.web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def web_settings(tmp_path: Path, engine: Engine, sample_listing: Path) -> Settings:
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=engine.url.render_as_string(hide_password=False),
        base_url="http://testserver",
    )
    run_ingest(engine, "arxiv-daily", [str(sample_listing)], settings)
    return settings


def _signed_in(settings: Settings, engine: Engine, email: str) -> TestClient:
    """A client holding a real API token of a real (verified) user: no CSRF needed, like any API client."""
    with Session(engine, expire_on_commit=False) as db:
        user = create_user(db, email, "correct horse battery", verified=True)
        issued = create_api_token(db, user, "tests")
        db.commit()
    client = _client(settings)
    client.headers["authorization"] = f"Bearer {issued.token}"
    return client


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), base_url="http://testserver")


@pytest.fixture
def ada(web_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with _signed_in(web_settings, engine, "ada@example.org") as client:
        yield client


@pytest.fixture
def bob(web_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with _signed_in(web_settings, engine, "bob@example.org") as client:
        yield client


@pytest.fixture
def anonymous(web_settings: Settings) -> Iterator[TestClient]:
    with _client(web_settings) as client:
        yield client


@pytest.fixture
def arxiv_ids(engine: Engine, web_settings: Settings) -> list[str]:
    with Session(engine) as db:
        return list(db.execute(select(Paper.arxiv_id).order_by(Paper.arxiv_id)).scalars())


def test_public_tag_feed_is_readable_without_an_account_and_a_private_one_is_not(
    ada: TestClient, anonymous: TestClient, bob: TestClient, arxiv_ids: list[str]
) -> None:
    for arxiv_id in arxiv_ids[:3]:
        assert ada.post("/api/library/save", json={"arxiv_id": arxiv_id, "tags": ["shared reading"]}).json()[
            "ok"
        ]
    ada.post("/api/library/save", json={"arxiv_id": arxiv_ids[3], "tags": ["private"]})
    url = ada.post("/api/library/tags/shared reading/public", json={"public": True}).json()["url"]
    token = url.rsplit("/", 1)[1]

    page = anonymous.get(f"/shared/{token}")
    assert page.status_code == 200 and "shared reading" in page.text
    atom = anonymous.get(f"/shared/{token}.atom")
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    entries = etree.fromstring(atom.content).findall(f"{ATOM}entry")
    assert sorted(e.findtext(f"{ATOM}id", "") for e in entries) == sorted(f"arxiv:{i}" for i in arxiv_ids[:3])
    rss = anonymous.get(f"/shared/{token}.rss")
    assert rss.status_code == 200 and len(etree.fromstring(rss.content).findall("channel/item")) == 3

    # the private tag has no public address; guessing one, or using a revoked one, is a 404
    assert anonymous.get("/shared/not-a-token.atom").status_code == 404
    ada.post("/api/library/tags/shared reading/public", json={"public": False})
    assert anonymous.get(f"/shared/{token}.atom").status_code == 404
    assert anonymous.get(f"/shared/{token}").status_code == 404
    assert bob.get(f"/shared/{token}.rss").status_code == 404
    # and the private library itself needs an account
    assert anonymous.get("/api/library").status_code == 401
    assert anonymous.get("/library", follow_redirects=False).status_code == 303


def test_a_user_never_sees_another_users_library(
    ada: TestClient, bob: TestClient, arxiv_ids: list[str]
) -> None:
    ada.post("/api/library/save", json={"arxiv_id": arxiv_ids[0], "tags": ["secret"]})
    ada.put(f"/api/library/notes/{arxiv_ids[0]}", json={"text": "ada's private note"})
    ada.post(f"/api/library/feedback/{arxiv_ids[1]}", json={"rating": -1})
    follow = ada.post("/api/library/follows", json={"kind": "category", "value": "cs.CV"}).json()
    assert ada.get("/api/library/tags/secret").json()["papers"][0]["note"] == "ada's private note"

    assert bob.get("/api/library").json()["tags"] == []
    assert bob.get("/api/library/tags/secret").status_code == 404
    assert bob.get("/library/tags/secret").status_code == 404
    assert bob.get("/api/library/tags/secret/bibtex").status_code == 404
    assert bob.delete("/api/library/tags/secret").status_code == 404
    assert bob.post("/api/library/tags/secret/rename", json={"new_name": "mine"}).status_code == 404
    assert bob.delete(f"/api/library/follows/{follow['id']}").status_code == 404
    exported = bob.get("/api/library/export").json()
    assert exported["tags"] == [] and exported["notes"] == [] and exported["ratings"] == []
    assert "ada's private note" not in bob.get("/library").text
    # ada's things are all still there
    assert [t["name"] for t in ada.get("/api/library").json()["tags"]] == ["secret"]
    assert len(ada.get("/api/library").json()["follows"]) == 1


def test_library_pages_forms_and_recommendations(
    ada: TestClient, anonymous: TestClient, arxiv_ids: list[str]
) -> None:
    for arxiv_id in arxiv_ids[:10]:
        response = ada.post(
            "/library/save", data={"arxiv_id": arxiv_id, "tag": "mine"}, follow_redirects=False
        )
        assert response.status_code == 303
    page = ada.get("/library/tags/mine")
    assert page.status_code == 200 and arxiv_ids[0] in page.text
    ada.post("/library/paper", data={"arxiv_id": arxiv_ids[0], "action": "note", "note": "n1"})
    ada.post("/library/paper", data={"arxiv_id": arxiv_ids[0], "action": "read"})
    papers = ada.get("/api/library/tags/mine").json()["papers"]
    first = next(p for p in papers if p["id"] == arxiv_ids[0])
    assert first["note"] == "n1" and first["read"] is True

    recs = ada.get("/api/library/recommendations", params={"tag": "mine", "limit": 5}).json()
    assert recs["ok"] and len(recs["items"]) == 5
    assert not {i["arxiv_id"] for i in recs["items"]} & set(arxiv_ids[:10])
    assert all(i["closest"] and (i["terms"] or i["by"]) for i in recs["items"])
    html = ada.get("/library/recommendations", params={"tag": "mine"})
    assert html.status_code == 200 and "Why:" in html.text
    assert ada.get("/api/library/recommendations", params={"tag": "nope"}).status_code == 404

    bib = ada.get("/library/tags/mine/bibtex")
    assert bib.status_code == 200 and bib.text.count("@misc{") + bib.text.count("@article{") == 10
    imported = ada.post(
        "/library/import",
        data={"tag": "from bibtex"},
        files={"file": ("mine.bib", bib.content, "application/x-bibtex")},
    )
    assert imported.status_code == 200 and "saved: 10" in imported.text
    bad = ada.post("/library/import", files={"file": ("x.json", b"{not json", "application/json")})
    assert bad.status_code == 400 and "not a JSON file" in bad.text

    ada.post("/library/tags", data={"name": "from bibtex", "action": "merge", "target": "mine"})
    assert [t["name"] for t in ada.get("/api/library").json()["tags"]] == ["mine"]
    # a browser form without the CSRF token is refused
    anonymous.get("/")
    assert anonymous.post("/library/save", data={"arxiv_id": arxiv_ids[0]}).status_code == 403


def test_saved_search_and_follow_feeds(ada: TestClient, anonymous: TestClient, arxiv_ids: list[str]) -> None:
    follow = ada.post("/api/library/follows", json={"kind": "category", "value": "cs.CV"}).json()
    feed = anonymous.get(follow["feed"].replace("http://testserver", ""))
    assert feed.status_code == 200
    entries = etree.fromstring(feed.content).findall(f"{ATOM}entry")
    assert entries and all("cs.CV" in [c.get("term") for c in e.findall(f"{ATOM}category")] for e in entries)
    search = ada.post(
        "/api/library/searches", json={"name": "diffusion", "query": "diffusion", "mode": "keyword"}
    )
    found = anonymous.get(search.json()["feed"].replace("http://testserver", "").replace(".atom", ".rss"))
    assert found.status_code == 200
    items = etree.fromstring(found.content).findall("channel/item")
    assert items and all(
        "diffusion" in (i.findtext("title", "") + i.findtext("description", "")).lower() for i in items
    )
    listed = ada.get("/api/library").json()
    assert [s["name"] for s in listed["saved_searches"]] == ["diffusion"]
    assert ada.delete(f"/api/library/searches/{listed['saved_searches'][0]['id']}").json()["ok"]
    assert anonymous.get(search.json()["feed"].replace("http://testserver", "")).status_code == 404
    assert ada.get("/api/library/tags/x").status_code == 404  # an unknown tag: 404, not a crash
    assert anonymous.get("/feeds/library/unknown.atom").status_code == 404
    bad = ada.post("/api/library/follows", json={"kind": "venue", "value": "x"})
    assert bad.status_code == 422


def test_cold_start_from_a_search(ada: TestClient) -> None:
    page = ada.get("/library/start", params={"q": "diffusion"})
    assert page.status_code == 200
    picked = sorted(set(re.findall(r'name="arxiv_id" value="([^"]+)"', page.text)))[:4]
    assert len(picked) == 4
    done = ada.post("/library/start", data={"arxiv_id": picked, "tag": "diffusion"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/library/recommendations?tag=diffusion"
    papers = ada.get("/api/library/tags/diffusion").json()["papers"]
    assert sorted(p["id"] for p in papers) == picked
    recs = ada.get(done.headers["location"])
    assert recs.status_code == 200 and "Why:" in recs.text
