"""What routes ask for: a database session, the settings, the signed-in user, CSRF checks, templates.

Authentication has two doors. Browsers carry a signed session cookie; every state-changing request
from a browser must also carry the CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``).
API clients send ``Authorization: Bearer pw_...`` instead; such requests ignore cookies entirely, so
they need no CSRF token (a forged page cannot set that header).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path as FilePath
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Path, Request
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, Signer
from jinja2 import pass_context
from jinja2.utils import url_quote
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.templating import _TemplateResponse

from paperwire.accounts.models import User
from paperwire.accounts.sessions import user_for_api_token, user_for_session
from paperwire.accounts.tokens import csrf_token, same
from paperwire.claims.labels import label as claim_label
from paperwire.config import Settings
from paperwire.web.claimmarks import mark_claims
from paperwire.web.texmath import mark_math

SESSION_COOKIE = "pw_session"
CSRF_COOKIE = "pw_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class SignInRequired(Exception):
    """Raised by ``CurrentUser``; the app turns it into a redirect (HTML) or a 401 (API)."""


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_settings(request: Request) -> Settings:
    """Async: cheap dependencies skip the threadpool hop a sync one costs."""
    return app_settings(request)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request. Services commit their own changes; anything uncommitted is rolled back.

    Async on purpose: closing (returning the connection to the pool) must not wait for a threadpool
    thread, or requests holding connections could wait forever behind requests waiting for connections.
    """
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
# A database id in a path: bounded, so a huge number is a 422 instead of an integer overflow in the driver.
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
SessionDep = Annotated[Session, Depends(get_db)]


def page_limiter(request: Request) -> CapacityLimiter:
    """This app's limiter for page work on the running event loop (tests start several loops)."""
    loop = asyncio.get_running_loop()
    held: tuple[asyncio.AbstractEventLoop, CapacityLimiter] | None = getattr(
        request.app.state, "page_limiter", None
    )
    if held is None or held[0] is not loop:
        held = request.app.state.page_limiter = (
            loop,
            CapacityLimiter(app_settings(request).web_page_threads),
        )
    return held[1]


async def run_page_work(request: Request, func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` on one of the page threads (``PAPERWIRE_WEB_PAGE_THREADS``), first come first served.

    Page work is CPU-bound Python: with several threads, each SQLite call that releases the GIL waits a
    full switch interval to get it back from a thread that is rendering, so every page in flight
    slows down together. One thread per worker, and one worker per core, serves pages in arrival order.
    Slow, waiting work (mail, arXiv) keeps the default pool.
    """
    return await anyio.to_thread.run_sync(func, *args, limiter=page_limiter(request))


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def session_signer(settings: Settings) -> Signer:
    return Signer(settings.secret(), salt="paperwire.session")


def session_token(request: Request) -> str | None:
    """The session token from the cookie, if its signature is ours (forged cookies never reach the database)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or len(raw) > 512:
        return None
    try:
        return session_signer(app_settings(request)).unsign(raw).decode()
    except BadSignature:
        return None


async def get_optional_user(request: Request) -> User | None:
    """The user behind the API token or session cookie, looked up in a short session of its own.

    The returned ``User`` is detached (its columns are loaded); holding no connection between this
    step and the route keeps the pool free under load. Anonymous requests touch no database and no
    threadpool thread at all (async: the lookup alone hops to the threadpool).
    """
    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    token = bearer_token(request)
    cookie = session_token(request) if token is None else None
    user: User | None = None
    if token is not None or cookie is not None:
        user = await run_in_threadpool(_lookup_user, request, token, cookie)
    request.state.user = user
    return user


def _lookup_user(request: Request, token: str | None, cookie: str | None) -> User | None:
    with request.app.state.sessionmaker() as db:
        if token is not None:
            user: User | None = user_for_api_token(db, token)
            if user is None:
                raise HTTPException(401, "invalid or revoked API token")
            return user
        assert cookie is not None
        return user_for_session(db, cookie)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise SignInRequired
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin_user(user: CurrentUser) -> User:
    if user.role != "admin":
        raise HTTPException(403, "only administrators can do this")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]


def csrf_seed(request: Request) -> str:
    """This browser's CSRF seed (set by ``CsrfCookieMiddleware`` on its first visit)."""
    seed: str = request.scope.get("state", {}).get("csrf_seed") or request.cookies.get(CSRF_COOKIE, "")
    return seed


def csrf_value(request: Request) -> str:
    """The CSRF token for this browser, computed once per request (a page has many forms)."""
    state = request.scope.setdefault("state", {})
    token: str | None = state.get("csrf_token")
    if token is None:
        secret, session = app_settings(request).secret(), request.cookies.get(SESSION_COOKIE, "")
        token = state["csrf_token"] = csrf_token(secret, csrf_seed(request), session)
    return token


def csrf_input(request: Request) -> Markup:
    """``{{ csrf_input(request) }}`` inside every POST form (a list page has one per row: built once)."""
    state = request.scope.setdefault("state", {})
    token = csrf_value(request)
    cached: tuple[str, Markup] | None = state.get("csrf_input")
    if cached is None or cached[0] != token:
        cached = state["csrf_input"] = (
            token,
            Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token),
        )
    return cached[1]


def csrf_exempt(func: F) -> F:
    """Mark a route that must accept POSTs without a CSRF token (e.g. RFC 8058 one-click unsubscribe)."""
    func.__csrf_exempt__ = True  # type: ignore[attr-defined]
    return func


async def verify_csrf(request: Request) -> None:
    """Installed on the whole app: every non-GET request from a browser must prove it came from our page."""
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return
    endpoint = request.scope.get("endpoint")
    if getattr(endpoint, "__csrf_exempt__", False):
        return
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed:
        raise HTTPException(403, "missing CSRF cookie: reload the page and try again")
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else None
    expected = csrf_token(app_settings(request).secret(), seed, request.cookies.get(SESSION_COOKIE, ""))
    if not supplied or not same(supplied, expected):
        raise HTTPException(403, "invalid or missing CSRF token: reload the page and try again")


CsrfCheck = Depends(verify_csrf)


_paths: dict[tuple[int, str, tuple[tuple[str, Any], ...]], str] = {}


@pass_context
def url_path_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
    """``url_for`` in templates gives site-relative paths (right behind any proxy), memoised: Starlette
    finds a route's path by trying every route in turn, which is the costliest part of a page render."""
    request: Request = context["request"]
    key = (id(request.app), name, tuple(sorted(path_params.items())))
    path = _paths.get(key)
    if path is None:
        if len(_paths) > 50_000:
            _paths.clear()
        path = _paths[key] = str(request.app.url_path_for(name, **path_params))
    return path


templates = Jinja2Templates(directory=FilePath(__file__).with_name("templates"))
templates.env.globals["url_for"] = url_path_for
templates.env.filters["tex"] = mark_math
templates.env.globals["csrf_input"] = csrf_input
templates.env.globals["csrf_value"] = csrf_value
templates.env.filters["claim_label"] = claim_label
templates.env.globals["mark_claims"] = mark_claims


def render(request: Request, name: str, status_code: int = 200, **context: object) -> _TemplateResponse:
    """A page from ``templates``."""
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def authors_text(authors: list[str], limit: int = 6) -> str:
    """``A, B, C and 4 more``: the authors line of a list row."""
    shown = ", ".join(authors[:limit])
    return f"{shown} and {len(authors) - limit} more" if len(authors) > limit else shown


def request_urls(request: Request) -> dict[str, str]:
    """This page's own path (with its query) and the sign-in link back to it, computed once per request."""
    state = request.scope.setdefault("state", {})
    urls: dict[str, str] | None = state.get("request_urls")
    if urls is None:
        url = request.url
        urls = state["request_urls"] = {
            "here": url.path + (f"?{url.query}" if url.query else ""),
            "signin": "/signin?next=" + url_quote(url.path),  # as the urlencode filter does
        }
    return urls


templates.env.globals["authors_text"] = authors_text
templates.env.globals["request_urls"] = request_urls
