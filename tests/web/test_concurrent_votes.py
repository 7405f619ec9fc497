"""Upvotes under real concurrency: 200 distinct users toggling one paper's vote at once end with the exact
count, on SQLite and on PostgreSQL, through the votes service (one thread and connection per user) and
through the HTTP endpoints of a live server. Toggling again returns to the original count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from e2e.live_server import load_sample, loopback_socket, make_settings, serve
from e2e.web_client import CSRF_COOKIE, SESSION_COOKIE
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from paperwire.accounts.models import User
from paperwire.accounts.sessions import create_api_token, start_session
from paperwire.accounts.tokens import csrf_token
from paperwire.config import Settings
from paperwire.daily.models import Vote
from paperwire.daily.votes import VoteResult, toggle_vote
from paperwire.db.models import DailyEntry, Paper
from paperwire.db.session import make_engine

USERS = 200
PAPER = "2606.26740"  # listed on 2026-06-30 in the bundled sample
T = TypeVar("T")


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[tuple[Settings, Engine]]:
    settings = make_settings(tmp_path, database_url)
    # PostgreSQL's default max_connections is 100 and other tests share the server: cap the pool there.
    if database_url.startswith("sqlite"):
        engine = make_engine(database_url, poolclass=NullPool)
    else:
        engine = make_engine(database_url, pool_size=40, max_overflow=0, pool_timeout=120)
    load_sample(engine, settings)
    yield settings, engine
    engine.dispose()


def make_users(engine: Engine, n: int) -> list[int]:
    """Plain rows (no password hashing): the votes only need distinct user ids."""
    with Session(engine) as db:
        db.execute(
            insert(User),
            [
                {"email": f"voter-{i}@example.org", "role": "user", "email_verified": True, "disabled": False}
                for i in range(n)
            ],
        )
        db.commit()
        return list(db.scalars(select(User.id).where(User.email.like("voter-%")).order_by(User.id)))


def upvotes(engine: Engine) -> int:
    with Session(engine) as db:
        return int(
            db.execute(
                select(DailyEntry.upvotes)
                .join(Paper, Paper.id == DailyEntry.paper_id)
                .where(Paper.arxiv_id == PAPER)
                .order_by(DailyEntry.day.desc())
                .limit(1)
            ).scalar_one()
        )


def vote_rows(engine: Engine) -> int:
    with Session(engine) as db:
        return int(
            db.execute(
                select(func.count())
                .select_from(Vote)
                .join(Paper, Paper.id == Vote.paper_id)
                .where(Paper.arxiv_id == PAPER)
            ).scalar_one()
        )


def all_at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call on its own thread, released together by a barrier so they really overlap."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def service_toggle(engine: Engine, user_id: int) -> Callable[[], VoteResult]:
    def call() -> VoteResult:
        with Session(engine) as db:
            return toggle_vote(db, user_id, PAPER)

    return call


def test_200_concurrent_toggles_by_distinct_users_count_exactly(store: tuple[Settings, Engine]) -> None:
    _, engine = store
    users = make_users(engine, USERS)
    start = upvotes(engine)

    results = all_at_once([service_toggle(engine, u) for u in users])
    assert all(r.voted for r in results)
    assert upvotes(engine) == start + USERS
    assert vote_rows(engine) == USERS
    # Every answer saw a count that includes its own vote; the largest saw them all.
    assert max(r.upvotes for r in results) == start + USERS
    assert min(r.upvotes for r in results) >= start + 1

    results = all_at_once([service_toggle(engine, u) for u in users])
    assert not any(r.voted for r in results)
    assert upvotes(engine) == start
    assert vote_rows(engine) == 0


def test_one_user_toggling_twice_at_once_ends_where_it_started(store: tuple[Settings, Engine]) -> None:
    """The same user's two simultaneous toggles: exactly one adds and one removes, in some order."""
    _, engine = store
    users = make_users(engine, USERS // 2)
    start = upvotes(engine)
    results = all_at_once([service_toggle(engine, u) for u in users for _ in range(2)])
    assert sum(r.voted for r in results) == USERS // 2
    assert upvotes(engine) == start
    assert vote_rows(engine) == 0


@pytest.mark.slow
def test_200_concurrent_toggles_over_http(store: tuple[Settings, Engine]) -> None:
    """Browser toggles (session cookie + CSRF header) and API votes (bearer tokens) through a live server."""
    from paperwire.web.app import create_app

    settings, engine = store
    users = make_users(engine, USERS)
    with Session(engine, expire_on_commit=False) as db:
        people = list(db.scalars(select(User).where(User.id.in_(users))))
        sessions = [start_session(db, u) for u in people]
        tokens = [create_api_token(db, u, "bench").token for u in people]
        db.commit()
    signer_app = create_app(settings)
    from paperwire.web.deps import session_signer

    cookies = [session_signer(settings).sign(s).decode() for s in sessions]
    seed = "concurrency-test-seed"
    start = upvotes(engine)

    sock = loopback_socket()
    with serve(signer_app, sock) as url:

        def send(method: str, path: str, headers: dict[str, str]) -> Callable[[], httpx.Response]:
            """Each user on their own connection, as 200 browsers would be (no keep-alive reuse races)."""

            def call() -> httpx.Response:
                with httpx.Client(base_url=url, timeout=120) as http:
                    return http.request(method, path, headers=headers)

            return call

        def toggle(cookie: str) -> Callable[[], httpx.Response]:
            return send(
                "POST",
                f"/papers/{PAPER}/upvote",
                {
                    "Accept": "application/json",
                    "X-CSRF-Token": csrf_token(settings.secret(), seed, cookie),  # bound to the session
                    "Cookie": f"{SESSION_COOKIE}={cookie}; {CSRF_COOKIE}={seed}",
                },
            )

        def api(method: str, token: str) -> Callable[[], httpx.Response]:
            return send(method, f"/api/papers/{PAPER}/upvote", {"Authorization": f"Bearer {token}"})

        answers = all_at_once([toggle(c) for c in cookies])
        assert [a.status_code for a in answers] == [200] * USERS, answers[0].text
        assert all(a.json()["voted"] for a in answers)
        assert upvotes(engine) == start + USERS
        assert max(a.json()["upvotes"] for a in answers) == start + USERS

        answers = all_at_once([toggle(c) for c in cookies])
        assert all(a.status_code == 200 and not a.json()["voted"] for a in answers)
        assert upvotes(engine) == start

        # The API's upvote is idempotent: half the users vote twice at once, and it counts once each.
        half = tokens[: USERS // 2]
        answers = all_at_once([api("POST", t) for t in half for _ in range(2)])
        assert all(a.status_code == 200 for a in answers), answers[0].text
        assert upvotes(engine) == start + len(half)
        answers = all_at_once([api("DELETE", t) for t in half])
        assert all(a.status_code == 200 for a in answers)
        assert upvotes(engine) == start
        assert vote_rows(engine) == 0
    signer_app.state.engine.dispose()
