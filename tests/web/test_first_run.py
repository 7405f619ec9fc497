"""What a first visitor meets: the subscribe invitation on every list and paper page, a /digest form laid
out as a form, a reason when an upvote needs signing in, readable API docs, and CSS for the details."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from lxml import html

PAGES = [
    "/papers",
    "/papers?date=2026-08-21",
    "/papers/week/2026-W34",
    "/papers/month/2026-08",
    "/papers/trending",
    "/papers/2608.19880",
]


@pytest.mark.parametrize("path", PAGES)
def test_list_and_paper_pages_invite_to_subscribe(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, path
    banner = html.fromstring(response.text).find_class("subscribe-banner")
    assert len(banner) == 1, path
    text = " ".join(banner[0].text_content().split())
    assert text == "Get trending papers in your email inbox — Subscribe"
    assert [a.get("href") for a in banner[0].iter("a")] == ["/digest"]


def test_the_digest_form_puts_choices_beside_their_labels(client: TestClient) -> None:
    page = html.fromstring(client.get("/digest").text)
    for box in page.xpath('//form[@class="form"]//input[@type="radio" or @type="checkbox"]'):
        assert "check" in box.getparent().get("class", "").split(), html.tostring(box.getparent())
    css = client.get("/static/paperwire.css").text
    assert re.search(r"\.form label\.check[^{]*\{[^}]*display: flex", css)


def test_a_signed_out_upvote_says_why_it_asks_to_sign_in(client: TestClient) -> None:
    page = client.get("/papers")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert token
    response = client.post(
        "/papers/2608.19880/upvote",
        data={"csrf_token": token.group(1), "next": "/papers"},
        headers={"referer": "http://testserver/papers"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "done=vote" in response.headers["location"]
    signin = client.get(response.headers["location"])
    assert "Sign in to upvote" in signin.text
    # the script's way (it follows data-signin on a 401) carries the same reason
    assert 'data-signin="/signin?next=/papers&amp;done=vote"' in page.text


def test_api_docs_have_readable_operation_summaries(client: TestClient) -> None:
    summaries = [
        op["summary"] for ops in client.get("/openapi.json").json()["paths"].values() for op in ops.values()
    ]
    assert summaries
    for summary in summaries:
        assert not summary.startswith("Api "), summary
        assert summary[0].isupper() and not re.search(r" [A-Z]", summary), (
            summary
        )  # "Delete tag", not "Delete Tag"
    assert "Delete tag" in summaries


def test_css_styles_date_inputs_keeps_filters_on_one_line_and_the_footer_at_the_bottom(
    client: TestClient,
) -> None:
    css = client.get("/static/paperwire.css").text
    assert re.search(r"input\[type=date\][^{]*\{[^}]*border: 1px solid", css)
    assert re.search(r"\.filters label\.check[^{]*\{[^}]*white-space: nowrap", css)
    assert re.search(r"body \{[^}]*min-height: 100vh;[^}]*flex-direction: column", css)
    assert re.search(r"main \{ flex: 1 0 auto", css)
    assert re.search(r"body > \.wrap \{ width: 100%", css)
    search = html.fromstring(client.get("/search?q=agents").text)
    assert search.xpath('//form[@class="filters"]//label[@class="check"]/input[@name="has_code"]')
