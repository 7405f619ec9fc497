"""Claims in real headless Chromium over the bundled sample (claims extracted as it was ingested): chips on
the daily list and a paper page with its claims marked in the abstract, the claim filter and sort on the
search page, and the comparison view sorted by a column and downloaded as CSV. Screenshots on the way."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import httpx
import pytest
from e2e.live_server import LiveApp
from playwright.sync_api import Page, expect

import paperwire.sample

pytestmark = pytest.mark.browser

# The sample's last list day: other e2e tests submit papers to today's list on the same live server,
# so "the latest list" depends on which ran first.
SAMPLE_DAY = max(p.name[:10] for p in (Path(paperwire.sample.__file__).parent / "hf-daily").iterdir())


def shot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=False)


def factor(chip: str) -> float:
    """The biggest number of a speedup chip as a factor ("1.6–4.1× faster" 4.1, "40 % faster" 1.4)."""
    top = max(float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", chip))
    return 1 + top / 100 if "%" in chip else top


def test_chips_and_marks_on_the_list_and_a_paper(page: Page, live_app: LiveApp, screenshot_dir: Path) -> None:
    daily = httpx.get(
        f"{live_app.url}/api/daily_papers", params={"limit": 100, "date": SAMPLE_DAY}, timeout=30
    ).json()
    claimed = [d["paper"] for d in daily if d["paper"]["claims"]]
    assert claimed, "no paper of the sample's last list has claims: was the sample's ingest extracting them?"
    page.goto(f"{live_app.url}/papers?date={SAMPLE_DAY}")
    first = claimed[0]
    row = page.locator(f"li[id='p-{first['id']}']")
    expect(row.locator(".claim-chip")).to_have_count(len(first["claims"]))
    expect(row.locator(".claim-chip").first).to_have_text(first["claims"][0]["label"])
    shot(page, screenshot_dir, "claims-list")

    row.locator("h2 a").click()
    expect(page).to_have_url(re.compile(f"/papers/{re.escape(first['id'])}$"))
    marks = page.locator("p.abstract mark.claim")
    expect(marks.first).to_be_visible()
    texts = [c["text"] for c in first["claims"]]
    assert all(any(t in m for t in texts) for m in marks.all_inner_texts())
    expect(page.locator("article .claims .claim-chip")).to_have_count(len(first["claims"]))
    shot(page, screenshot_dir, "claims-paper")


def test_claim_filter_and_sort_on_the_search_page(
    page: Page, live_app: LiveApp, screenshot_dir: Path
) -> None:
    page.goto(f"{live_app.url}/search")
    page.fill("input[name=claim]", "speedup>=2")
    page.select_option("select[name=sort]", "claim")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#result-count")).to_contain_text("claim:speedup>=2 sort:claim")
    rows = page.locator("li.paper-item")
    expect(rows.first).to_be_visible()
    best, seen = [], []
    for n in range(rows.count()):
        # the claims that pass speedup>=2 decide the order; "3–19× less speed" (a slowdown) does not
        chips = [
            c for c in rows.nth(n).locator(".claim-chip.claim-speedup").all_inner_texts() if "faster" in c
        ]
        assert chips, f"row {n} has no speedup claim"
        best.append(max(factor(c) for c in chips))
        seen.append((rows.nth(n).get_attribute("id"), chips))
    assert max(best) >= 2 and best == sorted(best, reverse=True), seen
    shot(page, screenshot_dir, "claims-search")


def test_comparison_view_sorts_and_downloads_csv(page: Page, live_app: LiveApp, screenshot_dir: Path) -> None:
    page.goto(f"{live_app.url}/papers?date={SAMPLE_DAY}")
    page.click("#compare-link")
    table = page.locator("#compare-table")
    expect(table).to_be_visible()
    kinds = table.locator("thead th[data-kind]").evaluate_all("els => els.map(e => e.dataset.kind)")
    kind = "speedup" if "speedup" in kinds else kinds[0]
    table.locator(f"thead th[data-kind={kind}] a").click()
    expect(page).to_have_url(re.compile(f"sort={kind}"))
    cells = page.locator(f"#compare-table tbody td[data-kind={kind}]").all_inner_texts()
    filled = [bool(c.strip()) for c in cells]
    assert filled[0] and filled == sorted(filled, reverse=True)  # papers claiming it first
    shot(page, screenshot_dir, "claims-compare")

    with page.expect_download() as download:
        page.click("#csv-link")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == len(cells) and rows[0][kind]
    shown = page.locator("#compare-table tbody tr").evaluate_all("els => els.map(e => e.id.slice(2))")
    assert [r["arxiv_id"] for r in rows] == shown
