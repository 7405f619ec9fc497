"""The digest email as people see it: the HTML part in headless Chromium at phone width, the text part
as a text-only client shows it, and the headers mail providers look at."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperwire.claims.labels import label
from paperwire.claims.store import claims_for
from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.digest import subscriptions
from paperwire.digest.compose import Period
from paperwire.digest.render import summary_line
from paperwire.digest.sender import preview
from tests.digest.conftest import Sink, make_settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DAY = dt.date(2026, 6, 16)


@pytest.fixture
def digest(sqlite_sample_engine: Engine, tmp_path: Path, smtp: Sink) -> tuple[EmailMessage, Settings]:
    settings = make_settings(tmp_path, smtp)
    with Session(sqlite_sample_engine) as session, session.begin():
        subscriptions.import_confirmed(session, 'phone@example.org,daily,"""language model"""\n')
    with Session(sqlite_sample_engine) as session:
        sub = subscriptions.find(session, "phone@example.org")
        assert sub is not None
        message, count = preview(session, settings, sub, Period.of("daily", DAY), dt.datetime(2026, 6, 16, 7))
    assert count > 5
    return message, settings


def test_headers_make_one_click_unsubscribe_possible(digest: tuple[EmailMessage, Settings]) -> None:
    message, _ = digest
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert re.fullmatch(r"<https://paperwire\.test/digest/unsubscribe/[\w.-]+>", message["List-Unsubscribe"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == "<digest.daily.2026-06-16.1@paperwire.test>"
    assert message["To"] == "phone@example.org"
    assert "new papers for Tuesday 16 June 2026" in message["Subject"]


def test_text_part_reads_well_in_a_text_only_client(digest: tuple[EmailMessage, Settings]) -> None:
    message, _ = digest
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "== Trending ==" in text
    assert "== New papers matching your searches ==" in text
    assert 'matched: "language model"' in text
    papers = re.findall(r"^\d+\. ", text, flags=re.MULTILINE)
    assert len(papers) == len(re.findall(r"Read: https://paperwire\.test/papers/\S+", text))
    assert re.search(r"^   ▲ \d+ upvotes?", text, flags=re.MULTILINE)
    assert "Code: https://github.com/" in text
    assert re.search(r"Unsubscribe with one click: https://paperwire\.test/digest/unsubscribe/\S+", text)
    assert re.search(
        r"Manage your digest \(cadence, topics\): https://paperwire\.test/digest/manage/\S+", text
    )
    for line in text.splitlines():
        if "https://" not in line:
            assert len(line) <= 78, line
    assert "<" not in text.replace("<https", "")  # no stray markup


def test_summary_prefers_the_ai_summary_then_the_first_sentence(sqlite_sample_engine: Engine) -> None:
    with Session(sqlite_sample_engine) as session:
        paper = session.execute(select(Paper).where(Paper.ai_summary.is_not(None)).limit(1)).scalar_one()
        expected = " ".join((paper.ai_summary or "").split())
        got = summary_line(paper)
        assert got == expected if len(expected) <= 280 else got.endswith("…")
        paper.ai_summary = None
        paper.abstract = "We study X. It works well. Results follow."
        assert summary_line(paper) == "We study X."
        paper.abstract = "word " * 200
        assert len(summary_line(paper)) <= 280 and summary_line(paper).endswith("…")
        session.rollback()


@pytest.mark.browser
def test_html_part_fits_a_phone_screen(digest: tuple[EmailMessage, Settings], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    message, _ = digest
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    first_title = re.search(r"^1\. (.+)$", text, flags=re.MULTILINE).group(1)  # type: ignore[union-attr]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 740}, device_scale_factor=2)
            page.set_content(html, wait_until="load")
            shot = tmp_path / "digest-phone.png"  # kept for a look: pytest's tmp_path
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            heading = page.locator("h1")
            assert heading.is_visible() and "new papers for Tuesday 16 June 2026" in heading.inner_text()
            title = page.locator("div.paper a").first
            assert title.is_visible()
            assert title.inner_text().startswith(first_title[:30])
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            widest = page.evaluate(
                "Math.max(...[...document.querySelectorAll('body *')].map(e => e.getBoundingClientRect().right))"
            )
            assert widest <= 375
            size = page.evaluate(
                "parseFloat(getComputedStyle(document.querySelector('div.paper p')).fontSize)"
            )
            assert size >= 13
            assert page.locator("a", has_text="Unsubscribe").count() == 1
            assert page.locator("div.paper").count() == len(re.findall(r"^\d+\. ", text, flags=re.MULTILINE))
        finally:
            browser.close()


def test_digest_shows_each_papers_claims(
    digest: tuple[EmailMessage, Settings], sqlite_sample_engine: Engine
) -> None:
    message, _ = digest
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    shown = list(dict.fromkeys(re.findall(r"Read: \S+/papers/(\S+)", text)))
    with Session(sqlite_sample_engine) as session:
        ids = dict(session.execute(select(Paper.arxiv_id, Paper.id).where(Paper.arxiv_id.in_(shown))).all())
        claims = claims_for(session, list(ids.values()))
    labelled = {aid: [label(c) for c in claims[pid]] for aid, pid in ids.items() if pid in claims}
    assert labelled, "no paper of this digest has claims"
    for labels in labelled.values():
        assert "Claims: " + " · ".join(labels) in " ".join(text.split())  # wrapped at 72 columns
        assert all(f">{escape(one)}</span>" in html for one in labels)
    assert text.count("Claims: ") == len(labelled)
