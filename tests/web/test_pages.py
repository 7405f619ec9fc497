"""Browsing pages over a real daily list: order, navigation, paper page, feeds advertised, errors."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from web.site import DAY


def titles_in_order(html: str) -> list[str]:
    return re.findall(r'<li class="paper-item" id="p-([^"]+)"', html)


def test_root_redirects_to_papers(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "/papers"


def test_daily_page_lists_latest_day_by_upvotes(client: TestClient) -> None:
    html = client.get("/papers").text
    ids = titles_in_order(html)
    assert len(ids) == 17
    assert ids[0] == "2608.19880"  # 163 upvotes, the most of that day
    assert ids.index("2608.18580") < ids.index("2608.20335")  # 54 before 38
    assert "Daily papers · Friday, 21 August 2026" in html
    assert 'rel="alternate" type="application/rss+xml"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html
    assert "/papers/week/2026-W34" in html and "/papers/month/2026-08" in html


def test_daily_page_for_a_day_without_list_is_empty_not_an_error(client: TestClient) -> None:
    response = client.get("/papers?date=2026-08-22")
    assert response.status_code == 200
    assert titles_in_order(response.text) == []
    assert f"/papers?date={DAY}" in response.text  # "previous" points back to the listed day


def test_bad_inputs_are_4xx_with_a_message(client: TestClient) -> None:
    bad_date = client.get("/papers?date=2026-13-45")
    assert bad_date.status_code == 422 and "date" in bad_date.text
    bad_week = client.get("/papers/week/2026-W99")
    assert bad_week.status_code == 422 and "no such ISO week" in bad_week.text
    bad_month = client.get("/papers/month/2026-13")
    assert bad_month.status_code == 422 and "month must look like" in bad_month.text
    missing = client.get("/papers/2999.99999")
    assert missing.status_code == 404 and "no paper 2999.99999" in missing.text
    garbage = client.get("/papers/%3Cscript%3E")
    assert garbage.status_code == 404 and "&lt;script&gt;" in garbage.text
    assert "Traceback" not in garbage.text


def test_week_and_month_views(client: TestClient) -> None:
    week = client.get("/papers/week/2026-W34")
    assert week.status_code == 200
    assert titles_in_order(week.text)[0] == "2608.19880"
    assert "/papers/week/2026-W33" in week.text and "/papers/week/2026-W35" in week.text
    month = client.get("/papers/month/2026-08")
    assert len(titles_in_order(month.text)) == 17
    assert "/papers/month/2026-07" in month.text and "/papers/month/2026-09" in month.text
    assert titles_in_order(client.get("/papers/month/2026-07").text) == []


def test_trending_and_about_show_the_formula(client: TestClient) -> None:
    trending = client.get("/papers/trending")
    assert trending.status_code == 200
    assert titles_in_order(trending.text)[0] == "2608.19880"
    about = client.get("/about").text
    assert "score = upvotes / (age_hours + 2.0) ^ 1.5" in about
    assert "7 days" in about


def test_paper_page(client: TestClient) -> None:
    response = client.get("/papers/2608.19880")
    html = response.text
    assert response.status_code == 200
    assert "EnvHarness: Awakening Static Worlds for Agent Learning" in html
    assert "Chengsong Huang" in html
    assert "https://arxiv.org/abs/2608.19880" in html and "https://arxiv.org/pdf/2608.19880" in html
    assert "https://github.com/google-research/envharness" in html
    assert '<span class="count">163</span>' in html
    assert "@misc{huang2026envharness," in html
    assert "katex-0.19.1/katex.min.css" in html
    bib = client.get("/papers/2608.19880/bibtex")
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    assert "huang2026envharness.bib" in bib.headers["content-disposition"]
    assert "eprint = {2608.19880}" in bib.text


def test_versioned_id_redirects_to_canonical(client: TestClient) -> None:
    response = client.get("/papers/2608.19880v2", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/papers/2608.19880"


def test_search_page_works_without_an_index(client: TestClient) -> None:
    html = client.get("/search", params={"q": "environment agents"}).text
    assert "result-count" in html
    assert "2608.19880" in titles_in_order(html)
    assert "<mark>" in html
    assert 'href="/feeds/search.atom?q=environment+agents"' in html


def test_search_page_rejects_oversized_query(client: TestClient) -> None:
    response = client.get("/search", params={"q": "x" * 5000})
    assert response.status_code == 422
    assert "q:" in response.text


def test_static_assets_and_theme(client: TestClient) -> None:
    css = client.get("/static/paperwire.css").text
    assert "prefers-color-scheme: dark" in css
    assert 'data-theme="dark"' in css
    assert client.get("/static/katex-0.19.1/katex.min.js").status_code == 200
    assert 'id="theme-toggle"' in client.get("/papers").text
