"""Micro-caching of anonymous list pages and public JSON lists: the daily list is the hottest, most shared page.

Anonymous visitors of the same URL see the same page, except for their CSRF token, so the page is
rendered once with a placeholder token and each response swaps in the visitor's own. Entries live
``settings.web_cache_seconds`` and are dropped at once (in this process) when a vote, submission or
moderation changes a list; other worker processes catch up within the same few seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.templating import _TemplateResponse

from paperwire.accounts.models import User
from paperwire.web.deps import app_settings, csrf_value

PLACEHOLDER = "__paperwire_csrf_placeholder__"
MAX_ENTRIES = 2000
_lock = threading.Lock()


def _store(request: Request) -> dict[str, tuple[float, bytes, int]]:
    store: dict[str, tuple[float, bytes, int]] | None = getattr(request.app.state, "page_cache", None)
    if store is None:
        store = request.app.state.page_cache = {}
    return store


def cached_page(request: Request, user: User | None, render: Callable[[], _TemplateResponse]) -> Response:
    """``render()``'s page, from the cache when the visitor is anonymous and a fresh copy exists."""
    ttl = app_settings(request).web_cache_seconds
    if user is not None or ttl <= 0:
        return render()
    key = f"{request.url.path}?{request.url.query}"
    store = _store(request)
    now = time.monotonic()
    hit = store.get(key)
    if hit is None or now - hit[0] > ttl:
        state = request.scope.setdefault("state", {})
        real = state.pop("csrf_token", None)
        state["csrf_token"] = PLACEHOLDER
        response = render()
        state["csrf_token"] = real
        if real is None:
            state.pop("csrf_token")
        hit = (now, bytes(response.body), response.status_code)
        with _lock:
            if len(store) >= MAX_ENTRIES:
                store.clear()
            store[key] = hit
    body = hit[1].replace(PLACEHOLDER.encode(), csrf_value(request).encode())
    return HTMLResponse(body, status_code=hit[2])


def cached_json(request: Request, build: Callable[[], bytes]) -> Response:
    """The same micro-cache for public JSON (no per-visitor parts at all)."""
    ttl = app_settings(request).web_cache_seconds
    if ttl <= 0:
        return Response(build(), media_type="application/json")
    key = f"json:{request.url.path}?{request.url.query}"
    store = _store(request)
    now = time.monotonic()
    hit = store.get(key)
    if hit is None or now - hit[0] > ttl:
        hit = (now, build(), 200)
        with _lock:
            if len(store) >= MAX_ENTRIES:
                store.clear()
            store[key] = hit
    return Response(hit[1], media_type="application/json")


def forget_pages(request: Request) -> None:
    """A list changed: drop every cached page of this process."""
    with _lock:
        _store(request).clear()
