"""Digest pages: the subscribe form, confirmation, one-click unsubscribe (RFC 8058) and preferences.

Links in emails carry signed, expiring tokens (``paperwire.digest.tokens``); the token is the only
credential these pages need, so they work without an account. Confirming is a POST from the page the
link opens (mail scanners that prefetch links cannot subscribe anyone); unsubscribing is a POST too,
and that one is exempt from CSRF because mail clients send it themselves (``List-Unsubscribe-Post``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from paperwire.config import Settings
from paperwire.digest import subscriptions
from paperwire.digest.matching import check_query
from paperwire.digest.models import Subscription
from paperwire.digest.tokens import (
    CONFIRM,
    UNSUBSCRIBE,
    manage_token,
    read_token,
    unsubscribe_token,
)
from paperwire.mail.smtp import MailError
from paperwire.search import QueryError
from paperwire.web.deps import OptionalUser, SessionDep, SettingsDep, csrf_exempt, render

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=10, max_length=512)]  # a signed token from an email link
CHECK_INBOX = (
    "If this address can receive a digest, a confirmation link is on its way. Nothing else will be sent "
    "until it is clicked."
)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _topics(
    trending: bool, queries: str, authors: str, categories: str, recommendations: bool
) -> subscriptions.Topics:
    """The form's topics; raises QueryError for a search that cannot run."""
    for query in _lines(queries):
        check_query(query)
    return subscriptions.Topics(
        trending=trending,
        queries=tuple(_lines(queries)),
        authors=tuple(_lines(authors)),
        categories=tuple(_lines(categories.replace(",", "\n"))),
        recommendations=recommendations,
    )


def _manage_page(
    request: Request, settings: Settings, sub: Subscription, token: str, status: int = 200, **extra: object
) -> Response:
    unsubscribe_url = f"/digest/unsubscribe/{unsubscribe_token(settings, sub)}"
    return render(
        request, "digest/manage.html", status, sub=sub, token=token, unsubscribe_url=unsubscribe_url, **extra
    )


@router.get("/digest", name="digest_form")
def digest_form(request: Request, db: SessionDep, settings: SettingsDep, user: OptionalUser) -> Response:
    """Get trending papers in your email inbox."""
    mine = subscriptions.find(db, user.email.lower()) if user else None
    manage_url = f"/digest/manage/{manage_token(settings, mine)}" if mine else None
    return render(
        request, "digest/subscribe.html", email=user.email if user else "", mine=mine, manage_url=manage_url
    )


@router.post("/digest/subscribe", name="digest_subscribe")
def digest_subscribe(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    email: Annotated[str, Form(max_length=320)],
    cadence: Annotated[Literal["daily", "weekly"], Form()] = "daily",
    trending: Annotated[bool, Form()] = False,
    recommendations: Annotated[bool, Form()] = False,
    queries: Annotated[str, Form(max_length=4000)] = "",
    authors: Annotated[str, Form(max_length=4000)] = "",
    categories: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    form = {"email": email, "cadence": cadence, "trending": trending, "queries": queries, "authors": authors}
    form["categories"] = categories
    form["recommendations"] = recommendations
    try:
        topics = _topics(trending, queries, authors, categories, recommendations)
        outcome = subscriptions.subscribe(db, email, cadence, topics, user=user)
        if outcome.confirmation_needed:
            subscriptions.send_confirmation(settings, outcome.subscription)
    except (subscriptions.SubscriptionError, QueryError) as exc:
        db.rollback()
        return render(
            request, "digest/subscribe.html", 400, error=str(exc), form=form, email=email, mine=None
        )
    except MailError:
        db.rollback()
        return render(
            request,
            "digest/subscribe.html",
            503,
            error="We could not send the confirmation email just now; please try again in a few minutes.",
            form=form,
            email=email,
            mine=None,
        )
    db.commit()
    sub = outcome.subscription
    if sub.status == "active" and user is not None and sub.user_id == user.id:
        return _subscribed(request, settings, sub)
    return render(request, "digest/notice.html", heading="Check your inbox", message=CHECK_INBOX)


@router.get("/digest/confirm/{token}", name="digest_confirm_page")
def digest_confirm_page(
    request: Request, settings: SettingsDep, token: Token, user: OptionalUser
) -> Response:
    read_token(settings, CONFIRM, token)  # a broken or expired link is refused before the button
    return render(request, "digest/confirm.html", token=token)


@router.post("/digest/confirm/{token}", name="digest_confirm")
def digest_confirm(
    request: Request, db: SessionDep, settings: SettingsDep, token: Token, user: OptionalUser
) -> Response:
    sub = subscriptions.confirm(db, settings, token)
    db.commit()
    return _subscribed(request, settings, sub)


def _notice(request: Request, settings: Settings, sub: Subscription, heading: str, message: str) -> Response:
    """A notice about a subscription, with the link to manage it."""
    manage_url = f"/digest/manage/{manage_token(settings, sub)}"
    return render(request, "digest/notice.html", heading=heading, message=message, manage_url=manage_url)


def _subscribed(request: Request, settings: Settings, sub: Subscription) -> Response:
    return _notice(
        request,
        settings,
        sub,
        "You are subscribed",
        f"Your {sub.cadence} digest will be sent to {sub.email}.",
    )


@router.get("/digest/unsubscribe/{token}", name="digest_unsubscribe_page")
def digest_unsubscribe_page(
    request: Request, settings: SettingsDep, token: Token, user: OptionalUser
) -> Response:
    read_token(settings, UNSUBSCRIBE, token)
    return render(request, "digest/unsubscribe.html", token=token)


@router.post("/digest/unsubscribe/{token}", name="digest_unsubscribe")
@csrf_exempt
def digest_unsubscribe(request: Request, db: SessionDep, settings: SettingsDep, token: Token) -> Response:
    """RFC 8058 one-click: mail clients POST ``List-Unsubscribe=One-Click`` here; no login, no CSRF."""
    sub = subscriptions.unsubscribe(db, settings, token)
    db.commit()
    if "text/html" not in request.headers.get("accept", ""):
        return HTMLResponse(f"{sub.email} is unsubscribed from paperwire digests.\n", media_type="text/plain")
    return _notice(
        request, settings, sub, "You are unsubscribed", f"No more digests will be sent to {sub.email}."
    )


@router.get("/digest/manage/{token}", name="digest_manage")
def digest_manage(
    request: Request, db: SessionDep, settings: SettingsDep, token: Token, user: OptionalUser
) -> Response:
    return _manage_page(request, settings, subscriptions.from_manage_token(db, settings, token), token)


@router.post("/digest/manage/{token}", name="digest_manage_save")
def digest_manage_save(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    token: Token,
    user: OptionalUser,
    cadence: Annotated[Literal["daily", "weekly"], Form()] = "daily",
    trending: Annotated[bool, Form()] = False,
    recommendations: Annotated[bool, Form()] = False,
    paused: Annotated[bool, Form()] = False,
    resubscribe: Annotated[bool, Form()] = False,
    queries: Annotated[str, Form(max_length=4000)] = "",
    authors: Annotated[str, Form(max_length=4000)] = "",
    categories: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    sub = subscriptions.from_manage_token(db, settings, token)
    try:
        topics = _topics(trending, queries, authors, categories, recommendations)
        if resubscribe:
            subscriptions.resubscribe(sub)
        subscriptions.update_preferences(sub, cadence, topics, paused)
    except (subscriptions.SubscriptionError, QueryError) as exc:
        db.rollback()
        sub = subscriptions.from_manage_token(db, settings, token)
        return _manage_page(request, settings, sub, token, 400, error=str(exc))
    db.commit()
    return _manage_page(request, settings, sub, token, flash="Your digest settings are saved.")
