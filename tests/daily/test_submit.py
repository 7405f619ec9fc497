"""Submitting papers: from the store or fetched from a (local, real HTTP) arXiv API; HF's rules."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from replay_server import ReplayServer, Reply, fixture
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.config import load_settings
from paperwire.daily.submit import (
    AlreadySubmitted,
    NotFoundOnArxiv,
    SubmitError,
    TooOld,
    arxiv_fetcher,
    recent_submissions,
    set_hidden,
    submit_paper,
)
from paperwire.db.models import DailyEntry, Paper


@pytest.fixture
def user(listed: Engine) -> User:
    with Session(listed, expire_on_commit=False) as db:
        person = User(
            email="s@example.org", display_name="Sub", role="user", email_verified=True, disabled=False
        )
        db.add(person)
        db.commit()
        return person


@pytest.fixture
def arxiv() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        server.route("/api/query", Reply(body=fixture("arxiv_api/arxiv_response.xml")), id_list="2510.14968")
        server.route("/api/query", Reply(body=EMPTY_FEED), id_list="2510.99999")
        yield server


EMPTY_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>empty</title>
<opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:totalResults></feed>"""


def test_submit_a_stored_paper_to_today(listed: Engine, user: User) -> None:
    with Session(listed) as db:
        # 2608.00002 is in the store but on no list: the arxiv-daily source puts it there.
        db.add(
            Paper(
                arxiv_id="2608.00002",
                title="Stored",
                abstract="x",
                authors=["A B"],
                categories=[],
                abs_url="",
                pdf_url="",
                code_urls=[],
                source="test",
                change_seq=1000,
                published=dt.date(2026, 8, 20),
            )
        )
        db.commit()
        entry = submit_paper(
            db, user, "https://arxiv.org/abs/2608.00002v3", today=dt.date(2026, 9, 3), fetch=None
        )
        assert (entry.day, entry.submitter, entry.source, entry.upvotes) == (
            dt.date(2026, 9, 3),
            "Sub",
            "submitted",
            0,
        )
        with pytest.raises(AlreadySubmitted, match="already on the daily list of 2026-09-03"):
            submit_paper(db, user, "2608.00002", today=dt.date(2026, 9, 3), fetch=None)
        assert [p.arxiv_id for _, p in recent_submissions(db)] == ["2608.00002"]
        set_hidden(db, entry.id, True)
        assert db.get(DailyEntry, entry.id).hidden  # type: ignore[union-attr]
        with pytest.raises(AlreadySubmitted):  # hiding does not allow resubmitting
            submit_paper(db, user, "2608.00002", today=dt.date(2026, 9, 3), fetch=None)


def test_papers_already_on_a_list_are_refused(listed: Engine, user: User) -> None:
    with (
        Session(listed) as db,
        pytest.raises(
            AlreadySubmitted, match=re.escape("2608.19880 is already on the daily list of 2026-08-21")
        ),
    ):
        submit_paper(db, user, "arXiv:2608.19880", today=dt.date(2026, 8, 25), fetch=None)


def test_only_within_14_days_of_the_arxiv_date(listed: Engine, user: User) -> None:
    with Session(listed) as db:
        db.add(
            Paper(
                arxiv_id="2608.00003",
                title="Old",
                abstract="x",
                authors=[],
                categories=[],
                abs_url="",
                pdf_url="",
                code_urls=[],
                source="test",
                change_seq=1001,
                published=dt.date(2026, 8, 1),
            )
        )
        db.commit()
        with pytest.raises(
            TooOld, match=re.escape("up to 14 days after their arXiv date; 2608.00003 is from 2026-08-01")
        ):
            submit_paper(db, user, "2608.00003", today=dt.date(2026, 8, 16), fetch=None)
        assert submit_paper(db, user, "2608.00003", today=dt.date(2026, 8, 15), fetch=None).day == dt.date(
            2026, 8, 15
        )


@pytest.mark.parametrize(
    "raw", ["", "hello", "2401.1", "https://example.org/abs/2401.01234", "x" * 10_000, "' OR 1=1 --"]
)
def test_bad_ids_get_a_clear_error(listed: Engine, user: User, raw: str) -> None:
    with Session(listed) as db, pytest.raises(SubmitError, match="is not an arXiv id or URL"):
        submit_paper(db, user, raw, today=dt.date(2026, 8, 25), fetch=None)


def test_unknown_paper_is_fetched_from_the_arxiv_api(
    listed: Engine, user: User, arxiv: ReplayServer, tmp_path: Path
) -> None:
    settings = load_settings(data_dir=tmp_path, arxiv_api_url=f"{arxiv.url}/api/query")
    fetch = arxiv_fetcher(settings)
    with Session(listed) as db:
        entry = submit_paper(db, user, "2510.14968", today=dt.date(2025, 10, 20), fetch=fetch)
        paper = db.scalars(select(Paper).where(Paper.arxiv_id == "2510.14968")).one()
        assert entry.paper_id == paper.id
        assert paper.title.startswith("RDD: Retrieval-Based Demonstration Decomposer")
        assert paper.published == dt.date(2025, 10, 16)
        with pytest.raises(NotFoundOnArxiv, match=re.escape("arXiv has no paper 2510.99999")):
            submit_paper(db, user, "2510.99999", today=dt.date(2025, 10, 20), fetch=fetch)
    assert [s.params["id_list"] for s in arxiv.requests("/api/query")] == ["2510.14968", "2510.99999"]


def test_arxiv_unreachable_is_a_clear_error(listed: Engine, user: User, tmp_path: Path) -> None:
    with ReplayServer() as server:
        server.route("/api/query", Reply(503, b"down", "text/plain"))
        settings = load_settings(data_dir=tmp_path, arxiv_api_url=f"{server.url}/api/query")
        with (
            Session(listed) as db,
            pytest.raises(SubmitError, match=re.escape("could not fetch 2510.14968 from arXiv")),
        ):
            submit_paper(db, user, "2510.14968", today=dt.date(2025, 10, 20), fetch=arxiv_fetcher(settings))
