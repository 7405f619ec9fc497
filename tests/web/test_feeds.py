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
    assert client.get("/feeds/daily.json").status_code == 422


def test_a_search_feed_without_a_query_is_a_feed_saying_so(client: TestClient) -> None:
    for fmt, media in (("rss", "application/rss+xml"), ("atom", "application/atom+xml")):
        response = client.get(f"/feeds/search.{fmt}?q=%20")
        assert response.status_code == 400
        assert response.headers["content-type"].startswith(media)
        root = etree.fromstring(response.content)  # a feed document, not an HTML error page
        title = root.findtext("./channel/title") if fmt == "rss" else root.findtext(f"{ATOM}title")
        assert title is not None and "a search feed needs a query" in title
    assert client.get("/feeds/search.rss").status_code == 400


def test_the_rss_channel_links_to_the_page_and_the_atom_self_link_to_the_feed(client: TestClient) -> None:
    root = etree.fromstring(client.get("/feeds/daily.rss?date=2026-08-21").content)
    assert root.findtext("./channel/link") == "http://testserver/papers?date=2026-08-21"
    assert (
        root.find(f"./channel/{ATOM}link").get("href") == "http://testserver/feeds/daily.rss?date=2026-08-21"
    )  # type: ignore[union-attr]
    trending = etree.fromstring(client.get("/feeds/trending.rss").content)
    assert trending.findtext("./channel/link") == "http://testserver/papers/trending"


def test_pages_advertise_their_feeds(client: TestClient) -> None:
    assert 'href="/feeds/daily.atom"' in client.get("/papers").text
    assert 'href="/feeds/trending.rss"' in client.get("/papers/trending").text
    assert 'href="/feeds/search.atom?q=agents"' in client.get("/search?q=agents").text
