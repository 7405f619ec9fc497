"""Fixtures for end-to-end tests: a real SMTP server, the app served on a loopback port over a store
with the bundled sample, and headless Debian Chromium driven by Playwright.

Everything is session-scoped: one server and one browser serve all e2e tests (each test signs up
its own users, so they do not depend on one another), which keeps the whole run short.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.live_server import LiveApp, add_papers, base_url, loopback_socket, sample_store, serve
from e2e.smtp_sink import SmtpSink
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
# The machine is small and shared: give assertions time before calling a slow page a failure.
expect.set_options(timeout=15_000)


def fresh_paper_record(today: dt.date) -> dict[str, object]:
    """The sample is from June 2026 and submissions follow the real clock (14 days, as on Hugging Face),
    so the test adds one paper published three days before today, in the arXiv id scheme of its month."""
    published = today - dt.timedelta(days=3)
    return {
        "id": f"{published:%y%m}.{99000 + published.day:05d}",
        "title": "Fresh results on $\\alpha$-divergence transformers for the submit test",
        "abstract": "A paper published three days ago, so that it may be submitted to today's list.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG"],
        "published": published.isoformat(),
    }


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, smtp_sink: SmtpSink) -> Iterator[LiveApp]:
    """The real app (``create_app``) on a free 127.0.0.1 port, over a fresh SQLite store with the sample."""
    from paperwire.web.app import create_app

    sock = loopback_socket()
    settings = sample_store(tmp_path_factory.mktemp("live"), smtp_url=smtp_sink.url, base_url=base_url(sock))
    fresh = fresh_paper_record(dt.datetime.now(dt.UTC).date())
    old = {**fresh, "id": "2603.99001", "published": "2026-03-02", "title": "An old paper nobody listed"}
    add_papers(settings, [fresh, old])
    with serve(create_app(settings), sock) as url:
        yield LiveApp(url, settings, smtp_sink, str(fresh["id"]), str(old["id"]))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """docs/screenshots/ when PAPERWIRE_SAVE_SCREENSHOTS=1 (to refresh the README's images), else tmp."""
    if os.environ.get("PAPERWIRE_SAVE_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path
