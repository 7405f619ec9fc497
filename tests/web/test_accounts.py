"""Accounts through the real app and a real SMTP server: sign-up, confirmation link, sign-in, reset,
sessions, CSRF and rate limits."""

from __future__ import annotations

import statistics
import time
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from web.site import PASSWORD, Inbox, csrf, make_user, sign_in

from paperwire.accounts.models import ApiToken, User, WebSession
from paperwire.accounts.passwords import verify_password
from paperwire.accounts.tokens import hash_token
from paperwire.config import Settings
from paperwire.web.deps import SESSION_COOKIE


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def test_sign_up_confirm_sign_in_sign_out(client: TestClient, inbox: Inbox, engine: Engine) -> None:
    response = client.post(
        "/signup",
        data={
            "email": "Ada@Example.org",
            "password": PASSWORD,
            "display_name": "Ada",
            "csrf_token": csrf(client),
        },
    )
    assert response.status_code == 200 and "Check your email" in response.text
    # Not confirmed yet: sign-in is refused with a clear message.
    refused = client.post(
        "/signin", data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert refused.status_code == 400 and "confirm your email first" in refused.text
    mail = inbox.wait(1)[0]
    assert mail["To"] == "ada@example.org" and "Confirm" in mail["Subject"]
    link = inbox.link()
    assert link.startswith("http://testserver/verify?token=")
    confirmed = client.get(path_of(link), follow_redirects=False)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/signin?done=verified"
    sign_in(client, "ada@example.org")
    page = client.get("/papers").text
    assert "Sign out" in page and "Ada" in page
    client.post("/signout", data={"csrf_token": csrf(client, "/papers")})
    assert "Sign in" in client.get("/papers").text
    with Session(engine) as db:
        assert db.scalar(select(WebSession).limit(1)) is None  # signing out deleted the session


def test_password_is_stored_hashed_and_never_in_clear(client: TestClient, engine: Engine) -> None:
    client.post("/signup", data={"email": "b@example.org", "password": PASSWORD, "csrf_token": csrf(client)})
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM users WHERE email = 'b@example.org'")
        ).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_session_id_changes_at_sign_in_and_is_stored_hashed(client: TestClient, engine: Engine) -> None:
    make_user(engine, "c@example.org")
    sign_in(client, "c@example.org")
    first = client.cookies[SESSION_COOKIE]
    sign_in(client, "c@example.org")
    second = client.cookies[SESSION_COOKIE]
    assert first != second
    token = second.rsplit(".", 1)[0]
    with Session(engine) as db:
        hashes = list(db.scalars(select(WebSession.token_hash)))
    assert hashes == [hash_token(token)]  # the old session ended, only the hash of the new one is stored
    assert token not in hashes


def test_cookie_flags(client: TestClient, engine: Engine) -> None:
    make_user(engine, "d@example.org")
    response = client.post(
        "/signin",
        data={"email": "d@example.org", "password": PASSWORD, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # base_url is http here; https makes it Secure


def test_forged_or_tampered_cookie_signs_nobody_in(client: TestClient, engine: Engine) -> None:
    make_user(engine, "e@example.org")
    sign_in(client, "e@example.org")
    value = client.cookies[SESSION_COOKIE]
    token, signature = value.rsplit(".", 1)
    for forged in (f"{token}.{signature[::-1]}", f"{token[::-1]}.{signature}", token, "x" * 5000):
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, forged)
        assert "Sign in" in client.get("/papers").text
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value)
    assert "Sign out" in client.get("/papers").text


def test_wrong_password_and_unknown_email_get_the_same_message(client: TestClient, engine: Engine) -> None:
    make_user(engine, "f@example.org")
    for email_address, password in (("f@example.org", "wrong password"), ("nobody@example.org", PASSWORD)):
        response = client.post(
            "/signin", data={"email": email_address, "password": password, "csrf_token": csrf(client)}
        )
        assert response.status_code == 401
        assert "wrong email or password" in response.text


def test_post_without_csrf_token_is_refused(client: TestClient, engine: Engine) -> None:
    make_user(engine, "g@example.org")
    client.get("/signin")
    response = client.post("/signin", data={"email": "g@example.org", "password": PASSWORD})
    assert response.status_code == 403 and "CSRF" in response.text
    wrong = client.post(
        "/signin", data={"email": "g@example.org", "password": PASSWORD, "csrf_token": "0" * 64}
    )
    assert wrong.status_code == 403
    no_cookie = TestClient(client.app, base_url="http://testserver")
    assert no_cookie.post("/signin", data={"csrf_token": csrf(client)}).status_code == 403


def test_sign_in_rate_limit_per_account(settings: Settings, engine: Engine) -> None:
    from paperwire.web.app import create_app

    settings.signin_limit_per_account = 3
    make_user(engine, "h@example.org")
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        token = csrf(client)
        for _ in range(3):
            bad = client.post(
                "/signin", data={"email": "h@example.org", "password": "nope nope", "csrf_token": token}
            )
            assert bad.status_code == 401
        blocked = client.post(
            "/signin", data={"email": "h@example.org", "password": PASSWORD, "csrf_token": token}
        )
        assert blocked.status_code == 429
        assert "too many sign-in attempts for this account" in blocked.text
        assert int(blocked.headers["retry-after"]) > 0


def test_sign_up_rate_limit_per_ip(settings: Settings, inbox: Inbox) -> None:
    from paperwire.web.app import create_app

    settings.signup_limit_per_ip = 2
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        token = csrf(client)
        for n in range(2):
            ok = client.post(
                "/signup", data={"email": f"s{n}@example.org", "password": PASSWORD, "csrf_token": token}
            )
            assert ok.status_code == 200
        blocked = client.post(
            "/signup", data={"email": "s9@example.org", "password": PASSWORD, "csrf_token": token}
        )
        assert blocked.status_code == 429


def test_sign_up_refuses_bad_input(client: TestClient) -> None:
    token = csrf(client)
    cases = [
        ({"email": "not-an-email", "password": PASSWORD}, 400, "valid email"),
        ({"email": "x@example.org", "password": "short"}, 400, "at least 8"),
        ({"email": "x@example.org", "password": "p" * 5000}, 422, "password"),
        ({"email": "' OR 1=1 --@x.org", "password": PASSWORD}, 400, "valid email"),
    ]
    for data, status, message in cases:
        response = client.post("/signup", data={**data, "csrf_token": token})
        assert response.status_code == status, data
        assert message in response.text


def test_password_reset_by_mailed_link(client: TestClient, inbox: Inbox, engine: Engine) -> None:
    make_user(engine, "r@example.org")
    response = client.post("/forgot", data={"email": "r@example.org", "csrf_token": csrf(client)})
    assert "we mailed it a reset link" in response.text
    link = path_of(inbox.link())
    assert link.startswith("/reset?token=")
    form = client.get(link)
    assert form.status_code == 200
    token = link.split("token=", 1)[1]
    done = client.post(
        "/reset",
        data={"token": token, "password": "a brand new secret", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    sign_in(client, "r@example.org", "a brand new secret")
    again = client.post(
        "/reset", data={"token": token, "password": "yet another one", "csrf_token": csrf(client)}
    )
    assert again.status_code == 400 and "already used" in again.text


def test_forgot_password_does_not_reveal_accounts(client: TestClient, inbox: Inbox) -> None:
    response = client.post("/forgot", data={"email": "ghost@example.org", "csrf_token": csrf(client)})
    assert response.status_code == 200 and "If an account exists" in response.text
    assert inbox.messages == []


def test_verify_link_tampered_is_refused(client: TestClient) -> None:
    response = client.get("/verify?token=abc.def.ghi")
    assert response.status_code == 400 and "invalid" in response.text


def test_pages_needing_a_user_redirect_to_sign_in(client: TestClient) -> None:
    response = client.get("/submit", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Fsubmit"
    assert client.get("/signin?next=https://evil.example/").text.count('value="/papers"') == 1


def test_api_tokens_created_shown_once_stored_hashed_and_revoked(client: TestClient, engine: Engine) -> None:
    make_user(engine, "t@example.org")
    sign_in(client, "t@example.org")
    page = client.post(
        "/account/tokens", data={"name": "script", "csrf_token": csrf(client, "/account")}
    ).text
    token = page.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("pw_")
    with Session(engine) as db:
        row = db.scalars(select(ApiToken)).one()
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert token not in client.get("/account").text  # shown only once
    api = TestClient(client.app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
    assert api.post("/api/papers/2608.19880/upvote").status_code == 200
    client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf(client, "/account")})
    revoked = api.post("/api/papers/2608.19880/upvote")
    assert revoked.status_code == 401 and revoked.json()["ok"] is False


def test_admin_disables_a_user_who_is_signed_out_everywhere(client: TestClient, engine: Engine) -> None:
    target = make_user(engine, "victim@example.org")
    other = TestClient(client.app, base_url="http://testserver")
    sign_in(other, "victim@example.org")
    make_user(engine, "admin@example.org", role="admin")
    sign_in(client, "admin@example.org")
    assert "victim@example.org" in client.get("/admin").text
    client.post(
        f"/admin/users/{target.id}/disable", data={"disabled": "true", "csrf_token": csrf(client, "/admin")}
    )
    with Session(engine) as db:
        assert db.get(User, target.id).disabled  # type: ignore[union-attr]
    assert "Sign in" in other.get("/papers").text
    refused = other.post(
        "/signin", data={"email": "victim@example.org", "password": PASSWORD, "csrf_token": csrf(other)}
    )
    assert refused.status_code == 401 and "disabled" in refused.text


def test_non_admin_cannot_use_admin_pages(client: TestClient, engine: Engine) -> None:
    user = make_user(engine, "plain@example.org")
    sign_in(client, "plain@example.org")
    assert client.get("/admin").status_code == 403
    response = client.post(f"/admin/users/{user.id}/disable", data={"csrf_token": csrf(client, "/papers")})
    assert response.status_code == 403


def _signin_seconds(client: TestClient, email_address: str, token: str) -> float:
    started = time.perf_counter()
    response = client.post(
        "/signin", data={"email": email_address, "password": "not it!!", "csrf_token": token}
    )
    assert response.status_code == 401
    return time.perf_counter() - started


def test_sign_in_takes_as_long_for_an_unknown_email(settings: Settings, engine: Engine) -> None:
    """Timing must not tell which accounts exist: an unknown email runs a password check too."""
    make_user(engine, "known@example.org")
    settings = settings.model_copy(update={"signin_limit_per_ip": 1000, "signin_limit_per_account": 1000})
    from paperwire.web.app import create_app

    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as client:
        token = csrf(client)
        _signin_seconds(client, "known@example.org", token)  # warm both paths once
        _signin_seconds(client, "unknown@example.org", token)
        known, unknown, malformed = [], [], []
        for _ in range(5):  # interleaved, so load on a shared machine hits both alike
            known.append(_signin_seconds(client, "known@example.org", token))
            unknown.append(_signin_seconds(client, "unknown@example.org", token))
            malformed.append(_signin_seconds(client, "not an email", token))
    app.state.engine.dispose()
    # Without the dummy check the unknown email answered ~30x faster (no argon2 at all).
    for other in (unknown, malformed):
        ratio = statistics.median(known) / statistics.median(other)
        assert 0.5 < ratio < 2.0, (known, other)


def test_a_missing_hash_never_matches() -> None:
    assert not verify_password(None, "anything at all")
    assert not verify_password("", "")


def test_sign_up_does_not_reveal_an_existing_account(
    client: TestClient, inbox: Inbox, engine: Engine
) -> None:
    """A taken address gets the very page a new one gets; its owner learns of the attempt by email."""
    make_user(engine, "taken@example.org")
    token = csrf(client, "/signup")
    fresh = client.post(
        "/signup", data={"email": "new@example.org", "password": PASSWORD, "csrf_token": token}
    )
    taken = client.post(
        "/signup", data={"email": "TAKEN@example.org", "password": "another password", "csrf_token": token}
    )
    assert fresh.status_code == taken.status_code == 200
    assert fresh.text.replace("new@example.org", "X") == taken.text.replace("taken@example.org", "X")
    messages = inbox.wait(2)
    note = next(m for m in messages if m["To"] == "taken@example.org")
    body = note.get_body(("plain",))
    assert body is not None and "already has an account" in body.get_content()
    with Session(engine) as db:
        users = db.scalars(select(User).where(User.email.like("taken%"))).all()
        assert len(users) == 1 and verify_password(users[0].password_hash, PASSWORD)  # unchanged


def test_sign_up_again_while_unconfirmed_mails_a_new_link(
    client: TestClient, inbox: Inbox, engine: Engine
) -> None:
    make_user(engine, "pending@example.org", verified=False)
    token = csrf(client, "/signup")
    response = client.post(
        "/signup", data={"email": "pending@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 200
    assert "/verify?token=" in inbox.link()
