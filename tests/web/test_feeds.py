"""RSS and Atom feeds: valid XML, stable GUIDs (arXiv ids), advertised by the pages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"


def test_daily_rss(client: TestClient) -> None:
    response = client.get("/feeds/daily.rss")
    assert response.headers["content-type"].startswith("application/rss+xml")
    root = etree.fromstring(response.content)
    items = root.findall("./channel/item")
    assert len(items) == 17
    assert items[0].findtext("guid") == "arxiv:2608.19880"
    assert items[0].find("guid").get("isPermaLink") == "false"  # type: ignore[union-attr]
    assert items[0].findtext("link") == "http://testserver/papers/2608.19880"
    assert items[0].findtext("title") == "EnvHarness: Awakening Static Worlds for Agent Learning"


def test_daily_atom_for_a_date_and_trending(client: TestClient) -> None:
    root = etree.fromstring(client.get("/feeds/daily.atom?date=2026-08-21").content)
    ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    assert ids[0] == "arxiv:2608.19880" and len(ids) == 17
    trending = etree.fromstring(client.get("/feeds/trending.atom").content)
    assert trending.find(f"{ATOM}entry").findtext(f"{ATOM}id") == "arxiv:2608.19880"  # type: ignore[union-attr]


def test_search_feed(client: TestClient) -> None:
    root = etree.fromstring(client.get("/feeds/search.rss?q=environment+harness").content)
    assert "arxiv:2608.19880" in [i.findtext("guid") for i in root.findall("./channel/item")]
    assert client.get("/feeds/search.rss").status_code == 422
    assert client.get("/feeds/daily.json").status_code == 422


def test_pages_advertise_their_feeds(client: TestClient) -> None:
    assert 'href="/feeds/daily.atom"' in client.get("/papers").text
    assert 'href="/feeds/trending.rss"' in client.get("/papers/trending").text
    assert 'href="/feeds/search.atom?q=agents"' in client.get("/search?q=agents").text
