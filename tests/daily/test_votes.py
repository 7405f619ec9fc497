"""Upvotes: one per user per paper, toggled, and exact under concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.daily.models import Vote
from paperwire.daily.votes import NotListed, UnknownPaper, set_vote, toggle_vote, voted_papers
from paperwire.db.models import DailyEntry, Paper

PAPER = "2608.19880"  # 163 upvotes on Hugging Face


def add_users(engine: Engine, count: int) -> list[int]:
    with Session(engine) as db:
        users = [
            User(email=f"u{n}@example.org", role="user", email_verified=True, disabled=False)
            for n in range(count)
        ]
        db.add_all(users)
        db.commit()
        return [u.id for u in users]


def upvotes(engine: Engine, arxiv_id: str = PAPER) -> int:
    with Session(engine) as db:
        return int(
            db.execute(
                select(DailyEntry.upvotes)
                .join(Paper, Paper.id == DailyEntry.paper_id)
                .where(Paper.arxiv_id == arxiv_id)
            ).scalar_one()
        )


def test_toggle_adds_then_removes(listed: Engine) -> None:
    (user,) = add_users(listed, 1)
    with Session(listed) as db:
        first = toggle_vote(db, user, PAPER)
        assert (first.voted, first.upvotes) == (True, 164)
        assert voted_papers(db, user, [db.scalar(select(Paper.id).where(Paper.arxiv_id == PAPER)) or 0])
        second = toggle_vote(db, user, PAPER)
        assert (second.voted, second.upvotes) == (False, 163)
    assert upvotes(listed) == 163


def test_set_vote_is_idempotent(listed: Engine) -> None:
    (user,) = add_users(listed, 1)
    with Session(listed) as db:
        assert set_vote(db, user, PAPER, up=True).upvotes == 164
        assert set_vote(db, user, PAPER, up=True).upvotes == 164
        assert set_vote(db, user, PAPER, up=False).upvotes == 163
        assert set_vote(db, user, PAPER, up=False).upvotes == 163


def test_unknown_and_unlisted_papers_are_refused(listed: Engine) -> None:
    (user,) = add_users(listed, 1)
    with Session(listed) as db:
        with pytest.raises(UnknownPaper):
            toggle_vote(db, user, "2999.00001")
        db.add(
            Paper(
                arxiv_id="2608.00001",
                title="t",
                abstract="a",
                authors=[],
                categories=[],
                abs_url="",
                pdf_url="",
                code_urls=[],
                source="test",
                change_seq=999,
            )
        )
        db.commit()
        with pytest.raises(NotListed, match="not on a daily list"):
            toggle_vote(db, user, "2608.00001")


def test_concurrent_toggles_by_distinct_users_count_exactly(listed: Engine) -> None:
    """60 users vote at once, then 20 of them take their vote back at once: the count is exact."""
    users = add_users(listed, 60)

    def toggle(user_id: int) -> bool:
        with Session(listed) as db:
            return toggle_vote(db, user_id, PAPER).voted

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(pool.map(toggle, users))
        assert not any(pool.map(toggle, users[:20]))
    assert upvotes(listed) == 163 + 40
    with Session(listed) as db:
        assert db.scalar(select(func.count(Vote.id))) == 40


def test_concurrent_toggles_by_one_user_never_double_count(listed: Engine) -> None:
    """The same user toggling 21 times concurrently ends with exactly one vote or none, matching the count."""
    (user,) = add_users(listed, 1)

    def toggle(_: int) -> bool:
        with Session(listed) as db:
            return toggle_vote(db, user, PAPER).voted

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(toggle, range(21)))
    with Session(listed) as db:
        votes = db.scalar(select(func.count(Vote.id))) or 0
    assert votes == 1  # an odd number of toggles
    assert results.count(True) - results.count(False) == 1
    assert upvotes(listed) == 163 + votes
