"""A first visit in real Chromium: the subscribe invitation leads to a /digest form laid out as a form,
a signed-out upvote explains itself, the footer stays at the bottom, and the search filters fit one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.live_server import LiveApp
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser


def shot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=False)


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def test_subscribe_from_the_daily_page_to_a_tidy_digest_form(
    page: Page, live_app: LiveApp, screenshot_dir: Path
) -> None:
    page.goto(f"{live_app.url}/papers")
    banner = page.locator(".subscribe-banner")
    expect(banner).to_contain_text("Get trending papers in your email inbox")
    assert box(banner)["y"] < box(page.locator("h1"))["y"]  # above the list, as on the original page
    shot(page, screenshot_dir, "daily")
    page.locator("li.paper-item h2 a").first.click()
    expect(page.locator("article.paper")).to_be_visible()
    expect(page.locator(".subscribe-banner a")).to_have_attribute("href", "/digest")
    shot(page, screenshot_dir, "paper")
    page.goto(f"{live_app.url}/papers")
    page.locator(".subscribe-banner").get_by_role("link", name="Subscribe").click()
    expect(page).to_have_url(f"{live_app.url}/digest")
    expect(page.locator("h1")).to_have_text("Get trending papers in your email inbox")
    daily, weekly = page.get_by_label("Daily (weekdays)"), page.get_by_label("Weekly")
    trending = page.get_by_label("Trending papers")
    # each choice sits at the start of its own label's line, and the two cadences share one row
    for control in (daily, weekly, trending):
        label = page.locator("label.check", has=control)
        assert box(control)["x"] - box(label)["x"] < 4
        assert box(label)["height"] < 2.2 * box(control)["height"] + 8
    assert abs(box(daily)["y"] - box(weekly)["y"]) < 2
    assert box(weekly)["x"] > box(daily)["x"] + 40
    shot(page, screenshot_dir, "digest")


def test_a_signed_out_upvote_lands_on_sign_in_with_the_reason(page: Page, live_app: LiveApp) -> None:
    page.goto(f"{live_app.url}/papers")
    page.locator("form.vote-form button").first.click()
    expect(page).to_have_url(f"{live_app.url}/signin?next=/papers&done=vote")
    expect(page.locator(".flash")).to_contain_text("Sign in to upvote")


def test_the_footer_stays_at_the_bottom_of_a_short_page(page: Page, live_app: LiveApp) -> None:
    page.goto(f"{live_app.url}/signin")
    footer = box(page.locator("footer.site-footer"))
    viewport = page.viewport_size
    assert viewport is not None
    assert abs(footer["y"] + footer["height"] - viewport["height"]) < 2
    assert footer["width"] > 900  # as wide as the page's column, not shrunk to its links


def test_search_filters_are_styled_and_stay_on_one_line(
    page: Page, live_app: LiveApp, screenshot_dir: Path
) -> None:
    page.goto(f"{live_app.url}/search?q=video")
    after = page.locator('input[name="after"]')
    assert after.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    assert after.evaluate("e => getComputedStyle(e).borderTopLeftRadius") == "6px"
    has_code = page.locator("label.check", has=page.locator('input[name="has_code"]'))
    button = page.locator("form.filters button")
    assert box(has_code)["height"] < 30, "the label wrapped"
    assert box(button)["height"] < 45, "the button wrapped"
    shot(page, screenshot_dir, "search")
