"""The digest pages through the real app: double opt-in from the form, RFC 8058 one-click unsubscribe
by a single POST without login or CSRF, and the manage-preferences page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.digest import subscriptions
from paperwire.digest.sender import send_digests
from paperwire.digest.tokens import Links
from paperwire.web.app import create_app
from tests.digest.conftest import Sink, make_settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
BASE = "https://paperwire.test"


@pytest.fixture
def web_settings(tmp_path: Path, smtp: Sink, sample_url: str) -> Settings:
    return make_settings(tmp_path, smtp, database_url=sample_url)


@pytest.fixture
def client(web_settings: Settings) -> Iterator[TestClient]:
    app = create_app(web_settings)
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client
    app.state.engine.dispose()


def csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = CSRF.search(page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def path_of(url: str) -> str:
    assert url.startswith(BASE), url
    return urlsplit(url).path


def status_of(engine: Engine, address: str) -> str | None:
    with Session(engine) as session:
        sub = subscriptions.find(session, address)
        return sub.status if sub else None


def test_double_opt_in_then_one_click_unsubscribe(
    client: TestClient, sample_engine: Engine, web_settings: Settings, smtp: Sink
) -> None:
    form = client.get("/digest")
    assert "Get trending papers in your email inbox" in form.text
    token = csrf(client, "/digest")
    reply = client.post(
        "/digest/subscribe",
        data={"email": "New.Reader@Example.org", "cadence": "daily", "trending": "true", "csrf_token": token},
    )
    assert reply.status_code == 200, reply.text
    assert "Check your inbox" in reply.text
    [confirmation] = smtp.to("new.reader@example.org")
    assert confirmation["List-Unsubscribe"] is None
    assert status_of(sample_engine, "new.reader@example.org") == "pending"

    # Before the link is clicked, a digest run sends nothing to the address.
    day = dt.date(2026, 6, 15)
    assert send_digests(sample_engine, web_settings, "daily", day).sent == 0
    assert len(smtp.to("new.reader@example.org")) == 1

    text = confirmation.get_body(preferencelist=("plain",)).get_content()
    [link] = re.findall(rf"{BASE}/digest/confirm/\S+", text)
    # Opening the link (as a mail scanner would) does not confirm; the button on the page does.
    page = client.get(path_of(link))
    assert page.status_code == 200 and "Confirm my subscription" in page.text
    assert status_of(sample_engine, "new.reader@example.org") == "pending"
    done = client.post(path_of(link), data={"csrf_token": CSRF.search(page.text).group(1)})  # type: ignore[union-attr]
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert status_of(sample_engine, "new.reader@example.org") == "active"
    # The same link again is harmless.
    assert client.post(path_of(link), data={"csrf_token": CSRF.search(page.text).group(1)}).status_code == 200  # type: ignore[union-attr]

    assert send_digests(sample_engine, web_settings, "daily", day).sent == 1
    digest = smtp.to("new.reader@example.org")[-1]
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = re.fullmatch(r"<(https://\S+)>", digest["List-Unsubscribe"]).group(1)  # type: ignore[union-attr]

    # RFC 8058: one POST from the mail provider, no cookies, no CSRF token, no login.
    with TestClient(client.app, base_url=BASE) as stranger:
        one_click = stranger.post(
            path_of(unsubscribe_url),
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert one_click.status_code == 200, one_click.text
    assert status_of(sample_engine, "new.reader@example.org") == "unsubscribed"
    assert send_digests(sample_engine, web_settings, "daily", dt.date(2026, 6, 16)).sent == 0


def test_unsubscribe_page_and_bad_links(
    client: TestClient, sample_engine: Engine, web_settings: Settings
) -> None:
    with Session(sample_engine) as session, session.begin():
        subscriptions.import_confirmed(session, "page@example.org,daily,\n")
    with Session(sample_engine) as session:
        sub = subscriptions.find(session, "page@example.org")
        assert sub is not None
        links = Links.for_subscription(web_settings, sub)
    page = client.get(path_of(links.unsubscribe))
    assert page.status_code == 200 and "Unsubscribe" in page.text
    done = client.post(
        path_of(links.unsubscribe), data={"List-Unsubscribe": "One-Click"}, headers={"Accept": "text/html"}
    )
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert status_of(sample_engine, "page@example.org") == "unsubscribed"
    forged = path_of(links.unsubscribe)[:-4] + "AAAA"
    bad = client.post(forged, content=b"List-Unsubscribe=One-Click")
    assert bad.status_code == 400
    assert "not valid" in bad.text
    assert client.get("/digest/manage/not-a-real-token-at-all").status_code == 400
    assert client.get(forged).status_code == 400
    assert client.get("/digest/confirm/not-a-real-token-at-all").status_code == 400


def test_manage_preferences_with_a_signed_link(
    client: TestClient, sample_engine: Engine, web_settings: Settings
) -> None:
    with Session(sample_engine) as session, session.begin():
        subscriptions.import_confirmed(session, "prefs@example.org,daily,diffusion\n")
    with Session(sample_engine) as session:
        sub = subscriptions.find(session, "prefs@example.org")
        assert sub is not None
        manage = path_of(Links.for_subscription(web_settings, sub).manage)
    page = client.get(manage)
    assert page.status_code == 200 and "diffusion" in page.text
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    saved = client.post(
        manage,
        data={
            "csrf_token": token,
            "cadence": "weekly",
            "queries": 'reasoning\n"world model"',
            "authors": "Yann LeCun",
            "categories": "cs.CL, cs.LG",
            "paused": "true",
        },
    )
    assert saved.status_code == 200, saved.text
    with Session(sample_engine) as session:
        sub = subscriptions.find(session, "prefs@example.org")
        assert sub is not None
        assert (sub.cadence, sub.status, sub.include_trending) == ("weekly", "paused", False)
        assert sub.queries == ["reasoning", '"world model"']
        assert sub.categories == ["cs.CL", "cs.LG"]
    refused = client.post(
        manage, data={"csrf_token": token, "cadence": "daily", "queries": "after:2026-13-45"}
    )
    assert refused.status_code == 400
    # Without the CSRF token the preferences cannot be changed.
    assert client.post(manage, data={"cadence": "daily", "trending": "true"}).status_code == 403


def _subscribe(client: TestClient, address: str, **fields: str) -> int:
    data = {"email": address, "cadence": "daily", "trending": "true", "csrf_token": csrf(client, "/digest")}
    return client.post("/digest/subscribe", data={**data, **fields}).status_code


def test_the_public_form_is_rate_limited_per_address(tmp_path: Path, smtp: Sink, sample_url: str) -> None:
    settings = make_settings(tmp_path, smtp, database_url=sample_url).model_copy(
        update={"subscribe_limit_per_ip": 3}
    )
    app = create_app(settings)
    with TestClient(app, base_url=BASE) as client:
        answers = [_subscribe(client, f"victim{i}@example.org") for i in range(5)]
    app.state.engine.dispose()
    assert answers == [200, 200, 200, 429, 429]
    assert len(smtp.received) == 3  # no confirmation email past the limit


def test_an_anonymous_subscribe_changes_nothing_until_confirmed(
    client: TestClient, sample_engine: Engine, smtp: Sink
) -> None:
    """A stranger who knows an unsubscribed address cannot rewrite its preferences; its owner, clicking
    the link that request mailed, gets what was asked."""
    with Session(sample_engine) as session, session.begin():
        sub = subscriptions.subscribe(
            session, "owner@example.org", "weekly", subscriptions.Topics(queries=("graph neural",))
        ).subscription
        sub.status, sub.confirm_nonce = "unsubscribed", None  # as unsubscribing leaves it
    assert _subscribe(client, "owner@example.org", cadence="daily", queries="crypto spam") == 200
    with Session(sample_engine) as session:
        stored = subscriptions.find(session, "owner@example.org")
        assert stored is not None and stored.status == "unsubscribed"
        assert (stored.cadence, stored.queries) == ("weekly", ["graph neural"])
    [confirmation] = smtp.to("owner@example.org")
    text = confirmation.get_body(preferencelist=("plain",)).get_content()
    assert "a daily paperwire digest" in text  # what confirming will set, not the stored weekly
    [link] = re.findall(rf"{BASE}/digest/confirm/\S+", text)
    page = client.get(path_of(link))
    done = client.post(path_of(link), data={"csrf_token": CSRF.search(page.text).group(1)})  # type: ignore[union-attr]
    assert done.status_code == 200 and "You are subscribed" in done.text
    with Session(sample_engine) as session:
        stored = subscriptions.find(session, "owner@example.org")
        assert stored is not None and stored.status == "active"
        assert (stored.cadence, stored.queries) == ("daily", ["crypto spam"])


def test_an_anonymous_subscribe_leaves_an_active_digest_alone(
    client: TestClient, sample_engine: Engine, smtp: Sink
) -> None:
    with Session(sample_engine) as session, session.begin():
        sub = subscriptions.subscribe(session, "active@example.org", "weekly").subscription
        sub.status = "active"
    assert _subscribe(client, "active@example.org", cadence="daily", trending="", queries="spam") == 200
    with Session(sample_engine) as session:
        stored = subscriptions.find(session, "active@example.org")
        assert stored is not None and (stored.status, stored.cadence, stored.queries) == (
            "active",
            "weekly",
            [],
        )
    assert smtp.to("active@example.org") == []
