"""Security properties of the web app, tested through real HTTP requests on a store with the sample.

CSRF on every state change, no acting for another user, no secret stored or logged in clear, a new
session id at every sign-in, rate limits, and bad input (huge, malformed, odd unicode, NUL bytes,
injection strings) answered with a 4xx and a message, never a 500. The store-backed tests run on
SQLite and on PostgreSQL: they differ in what text they accept (NUL bytes, lengths).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from e2e.live_server import add_papers, loopback_socket, postgres_database, sample_store, serve
from e2e.smtp_sink import SmtpSink
from e2e.web_client import CSRF_COOKIE, SESSION_COOKIE, WebClient
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import Signer
from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import Session

from paperwire.accounts.models import ApiToken, User
from paperwire.accounts.service import create_user
from paperwire.accounts.sessions import create_api_token
from paperwire.config import Settings
from paperwire.daily.models import Vote
from paperwire.db.models import DailyEntry, Paper
from paperwire.db.session import make_engine

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PASSWORD = "correct horse battery staple"
XSS_TITLE = 'Attention <script>alert("pw-xss")</script> <img src=x onerror=alert(1)> is all you need'
CLIENT_LOGGERS = ("httpx", "httpcore", "httpx2", "hpack")
NEW_TOKEN = re.compile(r'<code id="new-token">([^<]+)</code>')
LISTED = "2606.26740"  # on the sample's list of 2026-06-30


@dataclass
class Site:
    app: FastAPI
    settings: Settings
    smtp: SmtpSink

    def browser(self) -> WebClient:
        return WebClient(TestClient(self.app, base_url="http://testserver", raise_server_exceptions=False))

    def db(self) -> Session:
        return Session(self.app.state.engine, expire_on_commit=False)

    def user(self, *, role: str = "user", verified: bool = True) -> tuple[str, int]:
        email = f"user-{uuid.uuid4().hex[:10]}@example.org"
        with self.db() as db:
            user = create_user(db, email, PASSWORD, role=role, verified=verified)
            return email, user.id

    def signed_in(self, email: str, password: str = PASSWORD) -> WebClient:
        browser = self.browser()
        response = browser.signin(email, password)
        assert response.status_code == 303, response.text[:500]
        return browser

    def api_token(self, user_id: int) -> str:
        with self.db() as db:
            user = db.get(User, user_id)
            assert user is not None
            issued = create_api_token(db, user, "test")
            db.commit()
            return issued.token

    def upvotes(self, arxiv_id: str = LISTED) -> int:
        with self.db() as db:
            return int(
                db.execute(
                    select(DailyEntry.upvotes)
                    .join(Paper, Paper.id == DailyEntry.paper_id)
                    .where(Paper.arxiv_id == arxiv_id)
                    .order_by(DailyEntry.day.desc())
                    .limit(1)
                ).scalar_one()
            )


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink
) -> Iterator[Site]:
    from paperwire.web.app import create_app

    data_dir = tmp_path_factory.mktemp(f"security-{request.param}")
    with ExitStack() as stack:
        url = f"sqlite:///{data_dir / 'paperwire.db'}"
        if request.param == "postgresql":
            url = stack.enter_context(postgres_database())
        settings = sample_store(
            data_dir,
            url,
            smtp_url=smtp.url,
            base_url="http://testserver",
            signup_limit_per_ip=100_000,
            signin_limit_per_ip=100_000,
            signin_limit_per_account=100_000,
        )
        add_papers(
            settings,
            [
                {
                    "id": "2606.99901",
                    "title": XSS_TITLE,
                    "abstract": "Zebrafish <b>bold</b> claims about transformers & 'quotes'.",
                    "authors": ["Eve <script>x</script> Mallory"],
                    "categories": ["cs.CL"],
                    "published": "2026-06-20",
                    "list_day": "2026-06-22",
                    "upvotes": 3,
                }
            ],
        )
        app = create_app(settings)
        yield Site(app, settings, smtp)
        app.state.engine.dispose()


# -- CSRF -----------------------------------------------------------------------------------------------

STATE_CHANGES = [
    ("/signup", {"email": "csrf-victim@example.org", "password": PASSWORD}),
    ("/signin", {"email": "csrf-victim@example.org", "password": PASSWORD}),
    ("/forgot", {"email": "csrf-victim@example.org"}),
    ("/verify/resend", {"email": "csrf-victim@example.org"}),
    ("/signout", {}),
    ("/submit", {"paper": "2606.99902"}),
    ("/account/tokens", {"name": "stolen"}),
    (f"/papers/{LISTED}/upvote", {}),
]


@pytest.mark.parametrize(("path", "data"), STATE_CHANGES, ids=[p for p, _ in STATE_CHANGES])
def test_state_change_without_csrf_token_is_refused(site: Site, path: str, data: dict[str, str]) -> None:
    email, user_id = site.user()
    browser = site.signed_in(email)
    before = site.upvotes()
    response = browser.post_form(path, data, csrf=False)
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert browser.signed_in_as() == email  # not signed out
    assert site.upvotes() == before
    with site.db() as db:
        assert db.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id)) == 0
        assert (
            db.scalar(select(func.count()).select_from(User).where(User.email == "csrf-victim@example.org"))
            == 0
        )


def _api_routes(routes: list[Any]) -> Iterator[Any]:
    """Every endpoint, also inside included routers (newer FastAPI wraps them as ``original_router``)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        else:
            inner = getattr(route, "original_router", None) or getattr(route, "router", None)
            if inner is not None and hasattr(inner, "routes"):
                yield from _api_routes(inner.routes)


def test_every_state_changing_route_demands_the_csrf_token(site: Site) -> None:
    """A sweep over the app's routes, so a route added later cannot forget the check (explicit exemptions,
    like one-click unsubscribe, excepted)."""
    email, _ = site.user()
    browser = site.signed_in(email)
    checked = []
    for route in _api_routes(site.app.routes):
        if getattr(route.endpoint, "__csrf_exempt__", False):
            continue
        for method in sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            response = browser.http.request(method, path, data={"x": "1"}, follow_redirects=False)
            assert response.status_code == 403, (
                f"{method} {route.path} answered {response.status_code} without a CSRF token"
            )
            checked.append(f"{method} {route.path}")
    assert len(checked) >= 10, checked


def test_csrf_token_of_another_browser_or_without_cookie_is_refused(site: Site) -> None:
    email, _ = site.user()
    victim = site.signed_in(email)
    attacker = site.browser()
    forged = attacker.csrf()  # a valid token, but for the attacker's own seed cookie
    assert forged != victim.csrf()
    before = site.upvotes()
    refused = victim.http.post(
        f"/papers/{LISTED}/upvote", data={"csrf_token": forged}, follow_redirects=False
    )
    assert refused.status_code == 403
    header = victim.http.post(
        f"/papers/{LISTED}/upvote", headers={"X-CSRF-Token": forged}, follow_redirects=False
    )
    assert header.status_code == 403
    # A request that carries the right token but no seed cookie (a cross-site form cannot read either).
    bare = site.browser()
    bare.plant_cookie(SESSION_COOKIE, victim.session_cookie or "")
    no_seed = bare.http.post(
        f"/papers/{LISTED}/upvote", data={"csrf_token": victim.csrf()}, follow_redirects=False
    )
    assert no_seed.status_code == 403
    assert site.upvotes() == before
    accepted = victim.post_form(f"/papers/{LISTED}/upvote", {})
    assert accepted.status_code == 303
    assert site.upvotes() == before + 1


def test_a_planted_seed_cookie_and_its_token_do_not_work_for_the_victims_session(site: Site) -> None:
    """Cookie tossing: someone who can set cookies for the site (a sibling subdomain, say) plants their own
    seed, whose token they read from a page. The token is bound to the session too, so it fails."""
    attacker = site.browser()
    token = attacker.csrf()
    seed = next(c.value for c in attacker.http.cookies.jar if c.name == CSRF_COOKIE)
    email, _ = site.user()
    victim = site.signed_in(email)
    for cookie in [c for c in victim.http.cookies.jar if c.name == CSRF_COOKIE]:
        victim.http.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    victim.plant_cookie(CSRF_COOKIE, seed or "")
    before = site.upvotes()
    refused = victim.http.post(f"/papers/{LISTED}/upvote", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403
    assert site.upvotes() == before
    accepted = victim.post_form(f"/papers/{LISTED}/upvote", {})  # the victim's own page still works
    assert accepted.status_code == 303
    assert site.upvotes() == before + 1


def test_the_csrf_token_changes_at_sign_in(site: Site) -> None:
    email, _ = site.user()
    browser = site.browser()
    anonymous = browser.csrf()
    assert browser.signin(email, PASSWORD).status_code == 303
    assert browser.csrf() != anonymous
    stale = browser.http.post(
        f"/papers/{LISTED}/upvote", data={"csrf_token": anonymous}, follow_redirects=False
    )
    assert stale.status_code == 403


def test_json_api_with_a_session_cookie_needs_the_csrf_header(site: Site) -> None:
    email, _ = site.user()
    browser = site.signed_in(email)
    before = site.upvotes()
    refused = browser.http.post(f"/api/papers/{LISTED}/upvote")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]
    assert site.upvotes() == before
    accepted = browser.http.post(f"/api/papers/{LISTED}/upvote", headers={"X-CSRF-Token": browser.csrf()})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["upvotes"] == before + 1


# -- acting for another ----------------------------------------------------------------------------------


def test_a_user_cannot_act_for_another(site: Site) -> None:
    alice_email, alice_id = site.user()
    bob_email, bob_id = site.user()
    alice, bob = site.signed_in(alice_email), site.signed_in(bob_email)

    page = alice.post_form("/account/tokens", {"name": "alice's script"})
    assert page.status_code == 200
    alice_token = NEW_TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
    with site.db() as db:
        token_id = db.scalars(select(ApiToken.id).where(ApiToken.user_id == alice_id)).one()

    # Bob revokes Alice's token by id: nothing happens, and Bob's account page does not list it.
    assert bob.post_form(f"/account/tokens/{token_id}/revoke", {}).status_code == 303
    assert "alice&#39;s script" not in bob.get("/account").text
    with site.browser().http as vote:
        ok = vote.post(f"/api/papers/{LISTED}/upvote", headers={"Authorization": f"Bearer {alice_token}"})
        assert ok.status_code == 200, ok.text
        # A token that differs in one character is nobody's.
        forged = alice_token[:-1] + ("A" if alice_token[-1] != "A" else "B")
        assert (
            vote.post(
                f"/api/papers/{LISTED}/upvote", headers={"Authorization": f"Bearer {forged}"}
            ).status_code
            == 401
        )
    with site.db() as db:
        voters = set(
            db.scalars(
                select(Vote.user_id).join(Paper, Paper.id == Vote.paper_id).where(Paper.arxiv_id == LISTED)
            )
        )
    assert alice_id in voters and bob_id not in voters

    # Bob is no admin: he can neither disable Alice nor hide an entry, nor see the admin page.
    assert bob.get("/admin").status_code == 403
    assert bob.post_form(f"/admin/users/{alice_id}/disable", {"disabled": "true"}).status_code == 403
    with site.db() as db:
        entry_id = db.scalars(select(DailyEntry.id).where(DailyEntry.hidden.is_(False)).limit(1)).one()
    assert bob.post_form(f"/admin/entries/{entry_id}/hide", {"hidden": "true"}).status_code == 403
    with site.db() as db:
        assert db.get(User, alice_id).disabled is False  # type: ignore[union-attr]
        assert db.get(DailyEntry, entry_id).hidden is False  # type: ignore[union-attr]
    assert alice.signed_in_as() == alice_email
    assert bob.signed_in_as() == bob_email


def test_a_user_cannot_read_or_change_anothers_library(site: Site) -> None:
    _, alice_id = site.user()
    _, bob_id = site.user()
    alice = {"Authorization": f"Bearer {site.api_token(alice_id)}"}
    bob = {"Authorization": f"Bearer {site.api_token(bob_id)}"}
    with site.browser().http as api:
        saved = api.post("/api/library/searches", json={"name": "mine", "query": "diffusion"}, headers=alice)
        assert saved.status_code == 200, saved.text
        search_id = saved.json()["id"]
        assert (
            api.post(
                "/api/library/save", json={"arxiv_id": LISTED, "tags": ["secret-tag"]}, headers=alice
            ).status_code
            == 200
        )
        # Bob deletes Alice's saved search by id and reads her tag: neither works.
        deleted = api.delete(f"/api/library/searches/{search_id}", headers=bob)
        assert deleted.status_code in (200, 403, 404)
        assert api.get("/api/library/tags/secret-tag", headers=bob).status_code in (403, 404)
        assert "secret-tag" not in api.get("/api/library", headers=bob).text
        mine = api.get("/api/library", headers=alice).json()
    assert [s["id"] for s in mine["saved_searches"]] == [search_id]
    assert any(t.get("name") == "secret-tag" for t in mine["tags"]), mine["tags"]


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "\\evil.example"],
)
def test_sign_in_never_redirects_to_another_site(site: Site, target: str) -> None:
    email, _ = site.user()
    browser = site.browser()
    response = browser.post_form("/signin", {"email": email, "password": PASSWORD, "next": target})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil.example" not in location.split("?")[0].lstrip("/").split("/")[0]


def test_forged_stale_and_disabled_credentials_do_not_sign_in(site: Site) -> None:
    email, user_id = site.user()
    browser = site.signed_in(email)
    cookie = browser.session_cookie
    assert cookie

    forged = site.browser()
    forged.plant_cookie(SESSION_COOKIE, "x" * 43 + ".forged")
    assert forged.signed_in_as() is None
    other_key = site.browser()
    other_key.http.cookies.set(
        SESSION_COOKIE, Signer("not-the-key", salt="paperwire.session").sign(cookie.split(".")[0]).decode()
    )
    assert other_key.signed_in_as() is None

    assert browser.post_form("/signout", {}).status_code == 303
    replay = site.browser()
    replay.plant_cookie(SESSION_COOKIE, cookie)
    assert replay.signed_in_as() is None, "a signed-out session must not work when its cookie is replayed"

    token = site.api_token(user_id)
    admin_email, _ = site.user(role="admin")
    admin = site.signed_in(admin_email)
    assert admin.post_form(f"/admin/users/{user_id}/disable", {"disabled": "true"}).status_code == 303
    with site.browser().http as api:
        refused = api.post(f"/api/papers/{LISTED}/upvote", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert site.browser().signin(email, PASSWORD).status_code == 401


def test_mailed_links_cannot_be_tampered_with_or_reused(site: Site) -> None:
    email = f"links-{uuid.uuid4().hex[:8]}@example.org"
    browser = site.browser()
    seen = len(site.smtp.mails)
    assert browser.signup(email, PASSWORD).status_code == 200
    link = next(u for u in site.smtp.wait_for(email, after=seen).links() if "/verify" in u)
    token = link.split("token=", 1)[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert browser.get(f"/verify?token={tampered}").status_code == 400
    unconfirmed = browser.signin(email, PASSWORD)
    assert unconfirmed.status_code in (400, 401, 403)
    assert "confirm your email" in unconfirmed.text
    assert browser.open_link(link).status_code == 303
    assert browser.signin(email, PASSWORD).status_code == 303

    seen = len(site.smtp.mails)
    assert browser.post_form("/forgot", {"email": email}).status_code == 200
    reset = next(u for u in site.smtp.wait_for(email, subject="reset", after=seen).links() if "/reset" in u)
    reset_token = reset.split("token=", 1)[1]
    new_password = "a brand new passphrase"
    done = browser.post_form("/reset", {"token": reset_token, "password": new_password})
    assert done.status_code == 303
    again = browser.post_form("/reset", {"token": reset_token, "password": "an attacker's choice"})
    assert again.status_code == 400
    assert "already used" in again.text
    assert site.browser().signin(email, new_password).status_code == 303


# -- secrets ---------------------------------------------------------------------------------------------


def _dump_database(site: Site) -> str:
    """Every row of every table as text: what someone who copies the database file gets."""
    engine = site.app.state.engine
    metadata = MetaData()
    metadata.reflect(engine)
    parts = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            parts.extend(repr(tuple(row)) for row in conn.execute(table.select()))
    return "\n".join(parts)


def test_passwords_and_tokens_are_never_stored_or_logged_in_clear(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """Through a real uvicorn server configured like `paperwire serve`, with every logger at DEBUG."""
    from paperwire.web.app import create_app

    caplog.set_level(logging.DEBUG)
    email = f"secret-{uuid.uuid4().hex[:8]}@example.org"
    password, new_password = "first secret passphrase 1", "second secret passphrase 2"
    secrets: list[str] = [password, new_password]
    sock = loopback_socket()
    live = create_app(site.settings)
    with serve(live, sock) as url, httpx.Client(base_url=url) as http:
        browser = WebClient(http)
        seen = len(site.smtp.mails)
        assert browser.signup(email, password, "Secretive").status_code == 200
        verify_link = next(u for u in site.smtp.wait_for(email, after=seen).links() if "/verify" in u)
        secrets.append(verify_link.split("token=", 1)[1])
        assert browser.open_link(verify_link).status_code == 303
        assert browser.signin(email, "wrong password, logged?").status_code == 401
        secrets.append("wrong password, logged?")
        assert browser.signin(email, password).status_code == 303
        secrets.append((browser.session_cookie or "").rsplit(".", 1)[0])
        page = browser.post_form("/account/tokens", {"name": "ci"})
        token = NEW_TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
        secrets.append(token)
        assert (
            http.post(
                f"/api/papers/{LISTED}/upvote", headers={"Authorization": f"Bearer {token}"}
            ).status_code
            == 200
        )
        seen = len(site.smtp.mails)
        assert browser.post_form("/forgot", {"email": email}).status_code == 200
        reset_link = next(
            u for u in site.smtp.wait_for(email, subject="reset", after=seen).links() if "/reset" in u
        )
        secrets.append(reset_link.split("token=", 1)[1])
        assert browser.open_link(reset_link).status_code == 200
        assert (
            browser.post_form("/reset", {"token": secrets[-1], "password": new_password}).status_code == 303
        )
        assert browser.signin(email, new_password).status_code == 303
        secrets.append((browser.session_cookie or "").rsplit(".", 1)[0])
    live.state.engine.dispose()

    assert all(len(s) >= 16 for s in secrets)
    stored = _dump_database(site)
    for secret in secrets:
        assert secret not in stored, f"a secret is stored in clear: {secret[:6]}..."
    with site.db() as db:
        user = db.execute(select(User).where(User.email == email)).scalar_one()
        assert (user.password_hash or "").startswith("$argon2id$")
    # The test's own HTTP client (httpx, httpcore) logs the URLs it requests; only the server's logs count.
    server_records = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    assert server_records is not None
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in server_records)
    for secret in secrets:
        assert secret not in logged, f"a secret was logged: {secret[:6]}..."


# -- sessions --------------------------------------------------------------------------------------------


def test_the_session_id_changes_at_sign_in(site: Site) -> None:
    victim_email, _ = site.user()
    attacker_email, _ = site.user()
    attacker = site.signed_in(attacker_email)
    planted = attacker.session_cookie
    assert planted

    # The attacker plants their own session cookie in the victim's browser, then the victim signs in.
    victim = site.browser()
    victim.plant_cookie(SESSION_COOKIE, planted)
    assert victim.signin(victim_email, PASSWORD).status_code == 303
    first = victim.session_cookie
    assert first and first != planted
    assert victim.signed_in_as() == victim_email
    replay = site.browser()
    replay.plant_cookie(SESSION_COOKIE, planted)
    assert replay.signed_in_as() != victim_email, "the planted session id must not become the victim's"

    # Signing in again issues yet another id, and the previous one stops working.
    assert victim.signin(victim_email, PASSWORD).status_code == 303
    second = victim.session_cookie
    assert second and second not in (first, planted)
    old = site.browser()
    old.plant_cookie(SESSION_COOKIE, first)
    assert old.signed_in_as() is None


def test_session_cookie_flags(site: Site) -> None:
    email, _ = site.user()
    browser = site.browser()
    response = browser.signin(email, PASSWORD)
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(f"{SESSION_COOKIE}="))
    assert "httponly" in session.lower()
    assert "samesite=lax" in session.lower()
    seed = browser.get("/papers").headers.get_list("set-cookie")
    assert not seed or all(CSRF_COOKIE not in c or "httponly" in c.lower() for c in seed)


# -- bad input -------------------------------------------------------------------------------------------

HUGE = "a" * 2_000_000  # bodies
LONG = "a" * 60_000  # URLs: about what an HTTP client will still send
BIG = 2**63  # one past the largest 64-bit integer a database column holds
INT32_OVER = 2**31  # one past PostgreSQL's INTEGER, the type of every id column
NASTY_TEXT = [
    "' OR '1'='1' --",
    "'; DROP TABLE users; --",
    '<script>alert("x")</script>',
    "\x00",
    "nul\x00in the middle",
    "\u202eRTL override \ufeff zero\u200bwidth",
    "\U0001f600 emoji \U0001f9ea",
    "\ud7ff\ue000\uffff",
    "%00%ff%fe",
    '"',
    "((((((((",
    "title:",
    "after:not-a-date",
    "year:20x6",
    "has:nothing",
    "author:",
    'cat:"',
    "*",
    "AND OR NOT",
    "-",
    "a" * 501,
]


def _assert_clear_4xx(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        message = body.get("error") if isinstance(body, dict) else None
    else:
        match = re.search(r'<p class="error-box"[^>]*>(.*?)</p>', response.text, re.S)
        message = match.group(1).strip() if match else None
    assert message, f"no error message in the {response.status_code} answer: {response.text[:300]}"
    assert "Traceback" not in response.text


@pytest.fixture(scope="module")
def member(site: Site) -> tuple[WebClient, str]:
    """One signed-in browser and API token shared by the many odd-input cases (hashing is slow on purpose)."""
    email, user_id = site.user()
    return site.signed_in(email), site.api_token(user_id)


@pytest.mark.parametrize("text", NASTY_TEXT, ids=range(len(NASTY_TEXT)))
def test_odd_text_anywhere_never_breaks_the_server(
    site: Site, member: tuple[WebClient, str], text: str
) -> None:
    """Queries, form fields, path parts and JSON bodies with injection strings, NUL bytes and odd unicode."""
    browser, token = member
    part = quote(text, safe="")  # as a browser would send it in a path
    bearer = {"Authorization": f"Bearer {token}"}
    responses = [
        browser.get("/search", params={"q": text}),
        browser.get("/search", params={"q": "transformer", "author": text, "cat": text[:40]}),
        browser.get("/api/papers/search", params={"q": text}),
        browser.get("/feeds/search.atom", params={"q": text}),
        browser.get("/papers", params={"date": text}),
        browser.get("/api/daily_papers", params={"week": text}),
        browser.get("/api/daily_papers", params={"month": text}),
        browser.get(f"/papers/{part}"),
        browser.get(f"/papers/{part}/bibtex"),
        browser.get(f"/papers/week/{part}"),
        browser.get(f"/papers/month/{part}"),
        browser.get(f"/api/papers/{part}"),
        browser.get("/signin", params={"next": text}),
        browser.get("/verify", params={"token": text}),
        browser.get("/reset", params={"token": text}),
        browser.signup(text, PASSWORD, text),
        browser.signup(f"{uuid.uuid4().hex[:8]}@example.org", PASSWORD, text),
        browser.signup(f"{uuid.uuid4().hex[:8]}{text}@example.org", PASSWORD),
        browser.signin(text, text),
        browser.post_form("/forgot", {"email": text}),
        browser.post_form("/verify/resend", {"email": text}),
        browser.post_form("/reset", {"token": text, "password": text + PASSWORD}),
        browser.post_form("/submit", {"paper": text}),
        browser.post_form("/account/tokens", {"name": text}),
        browser.post_form(f"/papers/{part}/upvote", {}),
        browser.http.post("/api/papers/submit", json={"id": text}, headers=bearer),
        browser.http.post(f"/api/papers/{part}/upvote", headers=bearer),
        browser.http.delete(f"/api/papers/{part}/upvote", headers=bearer),
        browser.http.post(
            f"/api/papers/{LISTED}/upvote", headers={"Authorization": f"Bearer {text}".encode()}
        ),
    ]
    for response in responses:
        assert response.status_code < 500, (
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:300]}"
        )
        if response.status_code >= 400 and response.status_code != 401:
            _assert_clear_4xx(response)
    # Echoed text is escaped: no markup the user typed comes back as markup.
    page = browser.get("/search", params={"q": text})
    assert '<script>alert("x")</script>' not in page.text


BAD_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/search", {"params": {"q": LONG}}),
    ("GET", "/api/papers/search", {"params": {"q": LONG}}),
    ("GET", "/papers", {"params": {"date": LONG}}),
    ("GET", f"/papers/{LONG}", {}),
    ("GET", f"/api/papers/{LONG}", {}),
    ("GET", "/api/daily_papers", {"params": {"limit": "100000"}}),
    ("GET", "/api/daily_papers", {"params": {"p": "-1"}}),
    ("GET", "/api/daily_papers", {"params": {"limit": "1e309"}}),
    ("GET", "/api/daily_papers", {"params": {"date": "2026-02-30"}}),
    ("GET", "/api/daily_papers", {"params": {"date": "2026-06-01", "week": "2026-W23"}}),
    ("GET", "/api/daily_papers", {"params": {"week": "2026-W99"}}),
    ("GET", "/api/daily_papers", {"params": {"month": "2026-13"}}),
    ("GET", "/api/daily_papers", {"params": {"sort": "random"}}),
    ("GET", "/papers", {"params": {"date": "99999-01-01"}}),
    ("GET", "/papers/month/0000-01", {}),
    ("GET", "/search", {"params": {"q": "x", "p": "0"}}),
    ("GET", "/search", {"params": {"q": "x", "after": "yesterday"}}),
    ("GET", "/search", {"params": {"q": "x", "mode": "psychic"}}),
    ("GET", "/feeds/daily.json", {}),
    ("GET", "/feeds/search.rss", {"params": {"q": ""}}),
    ("GET", "/static/../../../../etc/passwd", {}),
    ("GET", "/api/papers/..%2f..%2fetc%2fpasswd", {}),
    ("GET", "/papers/2606.26740/bibtex/extra", {}),
    ("DELETE", "/papers", {}),
    ("GET", "/api/daily_papers", {"params": {"p": str(BIG)}}),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"), BAD_REQUESTS, ids=[f"{m} {p} {k}"[:60] for m, p, k in BAD_REQUESTS]
)
def test_bad_requests_get_a_4xx_with_a_message(
    site: Site, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    browser = site.browser()
    response = browser.http.request(method, path, **kwargs)
    _assert_clear_4xx(response)


EDGES = [
    "/papers/week/9999-W52",
    "/papers/week/0001-W01",
    "/papers/month/9999-12",
    "/papers/month/0001-01",
    "/api/daily_papers?month=9999-12",
    "/api/daily_papers?week=9999-W52",
    "/api/daily_papers?date=9999-12-31",
    "/papers?date=0001-01-01",
    "/papers?date=9999-12-31",
    "/feeds/daily.atom?date=9999-12-31",
]


@pytest.mark.parametrize("path", EDGES)
def test_the_edges_of_the_calendar_are_valid_pages(site: Site, path: str) -> None:
    """Real but extreme dates: the page (or an empty list) and its prev/next links, never a crash."""
    response = site.browser().get(path)
    assert response.status_code in (200, 404), f"{response.status_code}: {response.text[:300]}"


def test_huge_and_malformed_bodies_get_a_4xx_with_a_message(site: Site) -> None:
    email, user_id = site.user()
    browser = site.signed_in(email)
    auth = {"Authorization": f"Bearer {site.api_token(user_id)}"}
    http = browser.http
    cases = [
        http.post(
            "/api/papers/submit", content=b"{not json", headers={**auth, "content-type": "application/json"}
        ),
        http.post(
            "/api/papers/submit", content=b"[1, 2]", headers={**auth, "content-type": "application/json"}
        ),
        http.post(
            "/api/papers/submit", content=b'{"id": 12}', headers={**auth, "content-type": "application/json"}
        ),
        http.post(
            "/api/papers/submit",
            content=b"\xff\xfe\x00garbage",
            headers={**auth, "content-type": "application/json"},
        ),
        http.post("/api/papers/submit", json={"id": HUGE}, headers=auth),
        http.post(
            "/api/papers/submit",
            content=json.dumps({"id": "1" * 10}).encode() * 50_000,
            headers={**auth, "content-type": "application/json"},
        ),
        http.post(
            "/api/papers/submit", json={"id": "2606.26740"}, headers={**auth, "content-type": "text/plain"}
        ),
        browser.post_form("/signup", {"email": HUGE, "password": PASSWORD}),
        browser.post_form("/signup", {"email": "huge@example.org", "password": HUGE}),
        browser.post_form("/signin", {"email": "a@example.org", "password": HUGE}),
        browser.post_form("/account/tokens", {"name": HUGE}),
        http.post(
            "/signup",
            content=b"email=%ZZ&password=%&csrf_token=" + browser.csrf().encode() + b"&" + b"x=1&" * 50_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        browser.post_form(f"/account/tokens/{BIG}/revoke", {}),
        browser.post_form(f"/account/tokens/{INT32_OVER}/revoke", {}),
        http.delete(f"/api/library/searches/{BIG}", headers=auth),
        http.delete(f"/api/library/searches/{INT32_OVER}", headers=auth),
        http.delete(f"/api/library/follows/{INT32_OVER}", headers=auth),
        http.post(
            "/submit",
            content=b'--b\r\nContent-Disposition: form-data; name="paper"\r\n\r\nunterminated',
            headers={"content-type": "multipart/form-data; boundary=b", "X-CSRF-Token": browser.csrf()},
        ),
    ]
    for response in cases:
        _assert_clear_4xx(response)


def test_html_in_stored_data_is_escaped_on_every_page(site: Site) -> None:
    browser = site.browser()
    pages = [
        browser.get("/papers/2606.99901"),
        browser.get("/papers", params={"date": "2026-06-22"}),
        browser.get("/papers/week/2026-W26"),
        browser.get("/search", params={"q": "zebrafish"}),
        browser.get("/search", params={"q": "attention"}),
    ]
    for page in pages:
        assert page.status_code == 200, page.text[:300]
        assert "<script>alert(" not in page.text
        assert "<img src=x" not in page.text
        assert "<script>x</script>" not in page.text
    assert "&lt;script&gt;" in pages[0].text
    feed = browser.get("/feeds/daily.rss", params={"date": "2026-06-22"})
    assert feed.status_code == 200
    assert "<script>" not in feed.text  # escaped as XML text


# -- rate limits -----------------------------------------------------------------------------------------


@pytest.fixture
def strict_site(tmp_path: Any, smtp: SmtpSink) -> Iterator[Site]:
    """A store with tiny limits (and an empty catalogue: limits do not care about papers)."""
    from e2e.live_server import make_settings

    from paperwire.db.migrate import upgrade
    from paperwire.web.app import create_app

    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'paperwire.db'}",
        smtp_url=smtp.url,
        base_url="http://testserver",
        signup_limit_per_ip=3,
        signin_limit_per_ip=6,
        signin_limit_per_account=3,
    )
    engine = make_engine(settings.db_url)
    upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    yield Site(app, settings, smtp)
    app.state.engine.dispose()


def test_sign_up_is_rate_limited_per_address(strict_site: Site) -> None:
    browser = strict_site.browser()
    statuses = [
        browser.signup(f"rl-{i}-{uuid.uuid4().hex[:6]}@example.org", PASSWORD).status_code for i in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    limited = browser.signup("one-more@example.org", PASSWORD)
    _assert_clear_4xx(limited)
    assert "too many" in limited.text
    # X-Forwarded-For is not trusted by default: a client cannot dodge the limit by inventing addresses.
    dodged = browser.http.post(
        "/signup",
        data={"email": "dodge@example.org", "password": PASSWORD, "csrf_token": browser.csrf()},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert dodged.status_code == 429


def test_sign_in_is_rate_limited_per_account_and_per_address(strict_site: Site) -> None:
    email, _ = strict_site.user()
    guesser = strict_site.browser()
    statuses = [guesser.signin(email, f"guess {i} of the password").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    # Once the account is locked for this window, even the right password waits (no oracle for the guesser).
    assert guesser.signin(email, PASSWORD).status_code == 429
    # The per-address limit stops one client spraying many accounts.
    others = [strict_site.browser().signin(f"nobody-{i}@example.org", "x" * 12).status_code for i in range(6)]
    assert 429 in others, others
    assert others.index(429) <= 3, f"the address limit (6 per window) came too late: {others}"
    with strict_site.db() as db:
        assert db.scalar(select(func.count()).select_from(User)) == 1


def test_failures_for_one_account_do_not_lock_out_another(strict_site: Site) -> None:
    """Failures for one account never lock another account out."""
    victim, _ = strict_site.user()
    other, _ = strict_site.user()
    for i in range(3):
        strict_site.browser().signin(victim, f"wrong {i} wrong wrong")
    assert strict_site.browser().signin(victim, PASSWORD).status_code == 429
    assert strict_site.browser().signin(other, PASSWORD).status_code == 303


def test_rate_limit_window_expires(strict_site: Site) -> None:
    """After the window the account can sign in again (the bucket is aged by hand, not by sleeping)."""
    from paperwire.accounts.models import RateLimitBucket

    email, _ = strict_site.user()
    for i in range(3):
        strict_site.browser().signin(email, f"wrong {i} wrong wrong")
    assert strict_site.browser().signin(email, PASSWORD).status_code == 429
    with strict_site.db() as db:
        for bucket in db.scalars(select(RateLimitBucket)):
            bucket.window_start -= dt.timedelta(hours=2)
        db.commit()
    assert strict_site.browser().signin(email, PASSWORD).status_code == 303


def test_parallel_guesses_do_not_slip_past_the_account_limit(strict_site: Site) -> None:
    """30 wrong passwords sent at once: no more than the limit (3) may be checked against the hash.

    Counting after the check lets every request that arrives before the first failure is recorded
    through, which turns the limit into "3 per round trip" for a guesser with many connections.
    """
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    email, _ = strict_site.user()
    sock = loopback_socket()
    with serve(strict_site.app, sock) as url:
        barrier = Barrier(30)

        def guess(i: int) -> int:
            with httpx.Client(base_url=url, timeout=60) as http:
                browser = WebClient(http)
                token = browser.csrf()
                barrier.wait(timeout=30)
                data = {"email": email, "password": f"guess number {i}", "csrf_token": token}
                return http.post("/signin", data=data).status_code

        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(pool.map(guess, range(30)))
    checked = sum(s == 401 for s in statuses)
    assert set(statuses) <= {401, 429}, statuses
    assert checked <= 3, f"{checked} of 30 parallel guesses were checked against the password (limit 3)"
