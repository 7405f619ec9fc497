"""A reader's whole journey in real headless Chromium against the live server, with mail caught by a real
SMTP server: sign up, confirm the email, sign in, search, open a paper, upvote, submit a paper, read the
feeds; plus the dark theme and a phone-sized screen. Screenshots of the main pages are saved on the way.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from e2e.live_server import LiveApp
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "a long enough passphrase"
ATOM = "{http://www.w3.org/2005/Atom}"
DARK_BG = "rgb(13, 17, 23)"


def shot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=False)


def parse_feed(body: bytes) -> tuple[list[str], list[str]]:
    """(GUIDs or ids, titles) of an RSS or Atom document."""
    root = ET.fromstring(body)  # noqa: S314 - our own server's output, parsed to check it
    if root.tag == "rss":
        items = root.findall("./channel/item")
        return [i.findtext("guid") or "" for i in items], [i.findtext("title") or "" for i in items]
    entries = root.findall(f"{ATOM}entry")
    return [e.findtext(f"{ATOM}id") or "" for e in entries], [
        e.findtext(f"{ATOM}title") or "" for e in entries
    ]


def api_upvotes(live_app: LiveApp, arxiv_id: str) -> int:
    return int(httpx.get(f"{live_app.url}/api/papers/{arxiv_id}", timeout=10).json()["upvotes"])


def test_sign_up_confirm_sign_in_search_open_upvote_submit_and_read_feeds(
    page: Page, live_app: LiveApp, screenshot_dir: Path
) -> None:
    base = live_app.url
    email = f"reader-{uuid.uuid4().hex[:8]}@example.org"

    # The daily page, as a visitor: a ranked list that advertises its feeds.
    page.goto(f"{base}/papers")
    expect(page.locator("h1")).to_contain_text("Daily papers")
    assert page.locator("li.paper-item").count() > 5
    assert page.locator('link[rel="alternate"][type="application/rss+xml"]').count() == 1
    shot(page, screenshot_dir, "daily")
    page.get_by_role("link", name="Trending").first.click()
    expect(page.locator("h1")).to_contain_text("Trending")
    assert page.locator("li.paper-item").count() > 5
    shot(page, screenshot_dir, "trending")

    # Sign up through the form; the confirmation mail arrives at the real SMTP server.
    seen = len(live_app.smtp.mails)
    page.get_by_role("link", name="Sign up").click()
    page.fill('input[name="email"]', email)
    page.fill('input[name="display_name"]', "Ada Reader")
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    mail = live_app.smtp.wait_for(email, after=seen)
    assert "confirm" in mail.subject.lower()
    link = next(u for u in mail.links() if "/verify?" in u)
    assert link.startswith(base), f"the mailed link must point at this server: {link}"

    # Signing in before confirming is refused with a clear message.
    page.goto(f"{base}/signin")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error-box")).to_contain_text("confirm your email")

    page.goto(link)
    expect(page.locator(".flash")).to_contain_text("confirmed")
    shot(page, screenshot_dir, "signin")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/papers"))
    expect(page.locator("header.site")).to_contain_text("Ada Reader")

    # Search from the header box; hits are highlighted and counted.
    page.fill('header input[name="q"]', "language models")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    expect(page.locator("#result-count")).to_contain_text("result")
    count = int(re.match(r"\d+", page.locator("#result-count").inner_text()).group(0))  # type: ignore[union-attr]
    assert count > 0
    assert page.locator("li.paper-item").count() > 0
    assert page.locator("li.paper-item mark").count() > 0
    assert page.locator('link[rel="alternate"][type="application/atom+xml"]').count() == 1
    shot(page, screenshot_dir, "search")

    # Open the first hit: the paper page with abstract, arXiv links and BibTeX.
    first = page.locator("li.paper-item h2 a").first
    arxiv_id = first.get_attribute("href").rstrip("/").rsplit("/papers/", 1)[1]  # type: ignore[union-attr]
    first.click()
    page.wait_for_url(re.compile(rf"/papers/{re.escape(arxiv_id)}$"))
    expect(page.locator("h2", has_text="Abstract")).to_be_visible()
    expect(page.locator("a", has_text="PDF")).to_have_attribute("href", re.compile(re.escape(arxiv_id)))
    expect(page.locator("#bibtex")).to_contain_text("@")
    shot(page, screenshot_dir, "paper")

    # Upvote with the page's script, then take it back; the count the API reports follows.
    before = api_upvotes(live_app, arxiv_id)
    button = page.locator("form.vote-form button").first
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".count")).to_have_text(str(before + 1))
    assert api_upvotes(live_app, arxiv_id) == before + 1
    page.reload()
    expect(page.locator("form.vote-form button").first).to_have_attribute("aria-pressed", "true")
    page.locator("form.vote-form button").first.click()
    expect(page.locator("form.vote-form button .count").first).to_have_text(str(before))
    assert api_upvotes(live_app, arxiv_id) == before

    # Submit: a listed paper and an old one are refused, the fresh one lands on today's list, once.
    page.get_by_role("link", name="Submit").click()
    page.fill('input[name="paper"]', arxiv_id)
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".error-box")).to_contain_text("already on the daily list")
    page.fill('input[name="paper"]', live_app.old_paper)
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".error-box")).to_contain_text("14 days")
    shot(page, screenshot_dir, "submit")
    page.fill('input[name="paper"]', f"https://arxiv.org/abs/{live_app.fresh_paper}")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(rf"/papers/{re.escape(live_app.fresh_paper)}$"))
    expect(page.locator("article")).to_contain_text("submitted by Ada Reader")
    page.wait_for_selector("h1 .katex")  # the TeX in its title is typeset
    page.goto(f"{base}/papers")
    expect(page.locator(f'li[id="p-{live_app.fresh_paper}"]')).to_be_visible()
    page.goto(f"{base}/submit")
    page.fill('input[name="paper"]', live_app.fresh_paper)
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".error-box")).to_contain_text("already on the daily list")

    # The feeds the pages advertise: RSS and Atom, with the arXiv id as a stable GUID.
    page.goto(f"{base}/papers")
    for kind in ("rss+xml", "atom+xml"):
        href = page.locator(f'link[rel="alternate"][type="application/{kind}"]').get_attribute("href")
        assert href
        feed = page.request.get(f"{base}{href}" if href.startswith("/") else href)
        assert feed.ok
        assert kind in feed.headers["content-type"]
        guids, titles = parse_feed(feed.body())
        assert f"arxiv:{live_app.fresh_paper}" in guids
        assert all(g.startswith("arxiv:") for g in guids)
        assert all(titles)
    for path in ("/feeds/trending.atom", "/feeds/search.rss?q=language+models"):
        feed = page.request.get(f"{base}{path}")
        assert feed.ok, path
        guids, _ = parse_feed(feed.body())
        assert guids, f"{path} is empty"

    # The other main pages, for the screenshots and a last look.
    for path, name, heading in (
        ("/papers/week/2026-W26", "week", "week 2026-W26"),
        ("/papers/month/2026-06", "month", "June 2026"),
        ("/about", "about", ""),
        ("/account", "account", "Your account"),
    ):
        page.goto(f"{base}{path}")
        if heading:
            expect(page.locator("h1")).to_contain_text(heading)
        shot(page, screenshot_dir, name)

    # Signing out ends the session.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("header.site")).to_contain_text("Sign in")


def test_dark_theme_follows_the_system_and_the_toggle(
    browser: Browser, live_app: LiveApp, screenshot_dir: Path
) -> None:
    dark = browser.new_context(color_scheme="dark", viewport={"width": 1280, "height": 900})
    page = dark.new_page()
    page.goto(f"{live_app.url}/papers?date=2026-06-30")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == DARK_BG
    text = page.evaluate("getComputedStyle(document.body).color")
    assert text != background
    shot(page, screenshot_dir, "daily-dark")
    page.goto(f"{live_app.url}/papers/2606.26740")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BG
    shot(page, screenshot_dir, "paper-dark")
    dark.close()

    light = browser.new_context(color_scheme="light")
    page = light.new_page()
    page.goto(f"{live_app.url}/papers")
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert light_bg != DARK_BG
    page.click("#theme-toggle")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BG
    page.reload()  # the choice is remembered
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BG
    page.click("#theme-toggle")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == light_bg
    light.close()


def test_pages_fit_a_phone_screen(browser: Browser, live_app: LiveApp, screenshot_dir: Path) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = phone.new_page()
    for path, name in (
        ("/papers", "daily-phone"),
        ("/papers/2606.26740", "paper-phone"),
        ("/search?q=agents", None),
    ):
        page.goto(f"{live_app.url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px on a phone"
        if name:
            shot(page, screenshot_dir, name)
    phone.close()


def test_pages_work_without_javascript(browser: Browser, live_app: LiveApp) -> None:
    """Forms are plain HTML: with scripts off, a signed-in upvote still goes through (and redirects back)."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    email = f"nojs-{uuid.uuid4().hex[:8]}@example.org"
    seen = len(live_app.smtp.mails)
    page.goto(f"{live_app.url}/signup")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.goto(next(u for u in live_app.smtp.wait_for(email, after=seen).links() if "/verify?" in u))
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/papers"))
    paper = "2606.28480"
    before = api_upvotes(live_app, paper)
    page.goto(f"{live_app.url}/papers/{paper}")
    page.locator("form.vote-form button").first.click()
    page.wait_for_url(re.compile(rf"/papers/{re.escape(paper)}$"))
    expect(page.locator("form.vote-form button").first).to_have_attribute("aria-pressed", "true")
    assert api_upvotes(live_app, paper) == before + 1
    context.close()


def test_the_api_docs_render_from_the_app_alone(
    browser: Browser, live_app: LiveApp, screenshot_dir: Path
) -> None:
    """Swagger UI at /docs draws every operation of the schema with nothing fetched from another host."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_app.url}/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    shown = {
        page.locator(".opblock-summary-path").nth(i).inner_text()
        for i in range(page.locator(".opblock").count())
    }
    schema = httpx.get(f"{live_app.url}/openapi.json", timeout=10).json()
    assert {path.replace("\u200b", "") for path in shown} == set(schema["paths"])
    assert requested and all(url.startswith(live_app.url) for url in requested), requested
    shot(page, screenshot_dir, "api-docs")
    context.close()
