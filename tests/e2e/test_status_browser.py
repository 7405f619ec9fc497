"""The status page and /about in real headless Chromium: the SVG charts are drawn, their bars open the
day they count, and the page is readable on a phone. Screenshots go to docs/screenshots/ on request."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.live_server import LiveApp
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser


def test_status_page_draws_charts_whose_bars_open_their_day(
    page: Page, live_app: LiveApp, screenshot_dir: Path
) -> None:
    # The bundled sample holds June 2026: look at the 90 days up to its end.
    page.goto(f"{live_app.url}/status?until=2026-06-30")
    expect(page.get_by_role("heading", name="How complete and fresh this is")).to_be_visible()
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)
    # Every chart has a bar per day of the window, drawn with a real size.
    assert charts.nth(0).locator("rect.bar").count() == 90
    box = charts.nth(1).bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 40
    expect(page.locator("#source-hf-daily")).to_contain_text("hf-daily")
    page.screenshot(path=str(screenshot_dir / "status.png"), full_page=True)
    # A bar of the community-list chart is a link to that day's list.
    link = charts.nth(1).locator("a").last
    href = link.get_attribute("href")
    assert href and href.startswith("/papers?date=")
    link.locator("rect").click()
    expect(page).to_have_url(f"{live_app.url}{href}")
    expect(page.locator("ol.paper-list > li").first).to_be_visible()


def test_about_charts_the_whole_store_and_fits_a_phone(
    browser: Browser, live_app: LiveApp, screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_app.url}/about")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)
    assert charts.nth(0).locator("rect.bar").count() >= 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"/about is {width}px wide on a 390px screen"
    page.screenshot(path=str(screenshot_dir / "about-phone.png"), full_page=False)
    context.close()
