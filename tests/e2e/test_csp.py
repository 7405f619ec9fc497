"""The main pages under the Content-Security-Policy in real Chromium: the daily list, a paper with TeX
(typeset by the vendored KaTeX), search and Swagger UI at /docs all work and the browser reports no
CSP violation; stored links with a script scheme never become anything a browser would run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e.live_server import LiveApp, add_papers
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from sqlalchemy import update

from paperwire.db.models import Paper
from paperwire.db.session import make_engine

pytestmark = pytest.mark.browser

# What a store filled by an older version (or a hostile source) may hold: each would run script as an href.
HOSTILE_LINKS = {
    "2601.90001": "javascript:document.title='pwned-1'",
    "2601.90002": " JaVaScRiPt:document.title='pwned-2'",
    "2601.90003": "java\tscript:document.title='pwned-3'",
    "2601.90004": "data:text/html,<script>document.title='pwned-4'</script>",
}
MATH_PAPER = "2601.90005"


@pytest.fixture(scope="module")
def hostile_papers(live_app: LiveApp) -> list[str]:
    records: list[dict[str, object]] = [
        {
            "id": arxiv_id,
            "title": f"A paper whose project page is hostile ({arxiv_id})",
            "abstract": "Its stored project page and code link use a scheme that runs script.",
            "authors": ["Eve Mallory"],
            "categories": ["cs.CR"],
            "published": "2026-01-15",
        }
        for arxiv_id in HOSTILE_LINKS
    ]
    records.append(
        {
            "id": MATH_PAPER,
            "title": "Bounds on $\\alpha$-divergences",
            "abstract": "We show $\\sum_{i=1}^n x_i^2 \\le \\sqrt{n}$ and $$E = mc^2.$$",
            "authors": ["Ada Lovelace"],
            "categories": ["math.PR"],
            "published": "2026-01-15",
        }
    )
    add_papers(live_app.settings, records)
    engine = make_engine(live_app.settings.db_url)
    with engine.begin() as conn:  # written past ingestion's own URL check, as an old store may hold them
        for arxiv_id, link in HOSTILE_LINKS.items():
            conn.execute(
                update(Paper)
                .where(Paper.arxiv_id == arxiv_id)
                .values(project_page=link, code_urls=[link, "https://github.com/example/fine"])
            )
    engine.dispose()
    return list(HOSTILE_LINKS)


@pytest.fixture
def watched(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A tab and the CSP violations (DOM events and console errors) it has seen so far."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    problems: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", seen)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    yield page, problems
    context.close()


def test_pages_work_under_the_policy_with_no_violation(
    live_app: LiveApp, hostile_papers: list[str], watched: tuple[Page, list[str]]
) -> None:
    page, problems = watched
    response = page.goto(f"{live_app.url}/papers")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".paper-item").first).to_be_visible()
    page.locator("#theme-toggle").click()  # paperwire.js runs
    assert page.evaluate("document.documentElement.dataset.theme") in ("dark", "light")

    page.goto(f"{live_app.url}/papers/{MATH_PAPER}")
    page.wait_for_selector("h1 .katex")
    expect(page.locator(".abstract .katex").first).to_be_visible()
    # KaTeX's stylesheet and fonts applied: typeset math uses the KaTeX font, not the page's.
    assert "KaTeX" in page.evaluate("getComputedStyle(document.querySelector('.katex')).fontFamily")

    page.goto(f"{live_app.url}/search?q=divergences")
    expect(page.locator(f'li[id="p-{MATH_PAPER}"]')).to_be_visible()

    page.goto(f"{live_app.url}/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    assert not problems, problems


def test_script_links_are_never_rendered(
    live_app: LiveApp, hostile_papers: list[str], watched: tuple[Page, list[str]]
) -> None:
    page, problems = watched
    for arxiv_id in hostile_papers:
        page.goto(f"{live_app.url}/papers/{arxiv_id}")
        expect(page.locator("h1")).to_contain_text(arxiv_id)
        targets = page.evaluate(
            "Array.from(document.querySelectorAll('[href],[src],[action],[formaction]'))"
            ".map(e => e.href || e.src || e.action || e.formAction)"
        )
        # Resolved by the browser itself: every target is this site or plain http(s).
        assert targets and all(t.startswith(("http://", "https://")) for t in targets), targets
        expect(page.get_by_role("link", name="Project page")).to_have_count(0)
        expect(page.locator('a[href="https://github.com/example/fine"]')).to_have_count(1)
        assert "pwned" not in page.title()
    assert not problems, problems
