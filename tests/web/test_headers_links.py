"""Only plain http(s) URLs from stored data become links, and every response carries the security headers
(pages, API, feeds, static files, errors, /docs); real HTTP through the app on a store with a real HF list."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.db.session import make_engine
from paperwire.papers.links import http_url
from paperwire.web.app import create_app

SCRIPT_LINKS = [
    "javascript:alert(document.domain)",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https:\\\\evil.example",
    "//evil.example/x",
    "https://",
    "https:///path",
    "http://exa mple.org",
    "https://example.org/\tx",
    " https://example.org",
]
PLAIN_LINKS = ["https://example.org", "HTTP://Example.org/a?b=c#d", "https://x.github.io/p/?q=1&r=2"]
HREF = re.compile(r'\b(?:href|src|action|formaction)\s*=\s*"([^"]*)"', re.IGNORECASE)


@pytest.mark.parametrize("value", SCRIPT_LINKS)
def test_only_plain_http_urls_pass(value: str) -> None:
    assert http_url(value) is None


@pytest.mark.parametrize("value", PLAIN_LINKS)
def test_plain_http_urls_are_kept_as_they_are(value: str) -> None:
    assert http_url(value) == value


def test_no_stored_link_becomes_a_script_href(client: TestClient, settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    with Session(engine) as db:
        papers = list(db.scalars(select(Paper.arxiv_id).order_by(Paper.id).limit(len(SCRIPT_LINKS))))
    with engine.begin() as conn:
        for arxiv_id, link in zip(papers, SCRIPT_LINKS, strict=True):
            conn.execute(
                update(Paper)
                .where(Paper.arxiv_id == arxiv_id)
                .values(project_page=link, code_urls=[link, "https://github.com/a/b"])
            )
    engine.dispose()
    pages = [f"/papers/{arxiv_id}" for arxiv_id in papers] + ["/papers", "/search?q=model"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        targets = HREF.findall(response.text)
        assert "https://github.com/a/b" in targets or not path.startswith("/papers/"), path
        for target in targets:
            assert target.startswith(("/", "https://", "http://", "?")), (path, target)
            assert not re.search(r"[\x00-\x20]", target), (path, target)
        assert "Project page" not in response.text


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    arxiv_id = client.get("/api/daily_papers").json()[0]["paper"]["id"]
    for path in [
        "/papers",
        f"/papers/{arxiv_id}",
        "/search?q=model",
        "/api/daily_papers",
        "/feeds/daily.rss",
        "/static/paperwire.css",
        "/docs",
        "/openapi.json",
        "/papers/9999.99999",
        "/no-such-page",
        "/api/papers/not-an-id",
    ]:
        response = client.get(path)
        headers = response.headers
        csp = headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
        assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp, path
        assert headers.get("x-frame-options") == "DENY", path
        assert headers.get("x-content-type-options") == "nosniff", path
        assert headers.get("referrer-policy") == "same-origin", path


def test_a_server_error_page_carries_them_too(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    app.state.engine.dispose()
    assert response.status_code == 500
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script_or_style(client: TestClient) -> None:
    """The policy refuses inline code: a template that brings some back breaks in browsers."""
    arxiv_id = client.get("/api/daily_papers").json()[0]["paper"]["id"]
    for path in ["/papers", f"/papers/{arxiv_id}", "/search?q=model", "/docs", "/signin", "/digest"]:
        text = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"<style\b|\bstyle\s*=|\bon[a-z]+\s*=", text, re.IGNORECASE), path
