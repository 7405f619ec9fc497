"""Micro-caching of anonymous list pages and public JSON lists: the daily list is the hottest, most shared page.

Anonymous visitors of the same URL see the same page, except for their CSRF token, so the page is
rendered once with a placeholder token and each response swaps in the visitor's own. Entries live
``settings.web_cache_seconds`` and are dropped at once (in this process) when a vote, submission or
moderation changes a list; other worker processes catch up within the same few seconds.

The routes using it are ``async``: a fresh entry is served on the event loop without a threadpool hop.
A missing or expired entry is rendered once, in the threadpool, however many requests ask for it at
that moment (the others wait for that render instead of each rendering the same page: without this,
32 concurrent visitors re-rendered the daily page together every few seconds, which set its p99). A
render that started before a list changed is handed to the requests that waited for it but not kept.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from cachetools import TTLCache
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.templating import _TemplateResponse

from paperwire.accounts.models import User
from paperwire.web.deps import app_settings, csrf_value, run_page_work

PLACEHOLDER = "__paperwire_csrf_placeholder__"
# Bytes of page bodies one worker keeps. Entries live seconds, so this holds every page asked for in that
# time many times over; it bounds a burst of distinct URLs (each day's list, the API's pages: 30-120 kB each).
MAX_BYTES = 16 * 1024 * 1024

Entry = tuple[float, bytes, int]  # (rendered at, body, status)
T = TypeVar("T")


def _entry_size(entry: Entry) -> int:
    return len(entry[1]) + 200


def _entries(ttl: float) -> TTLCache[str, Entry]:
    """Expired entries are dropped (not just ignored), and the whole is bounded by the bytes it holds."""
    return TTLCache(MAX_BYTES, ttl=max(ttl, 0.001), timer=time.monotonic, getsizeof=_entry_size)


@dataclass
class PageCache:
    ttl: float = 3.0
    entries: TTLCache[str, Entry] = field(init=False)
    # Bumped by every change to a list: a render that began under an older generation is not stored.
    generation: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Renders in progress, one per key (touched only on the event loop).
    pending: dict[str, asyncio.Future[Entry]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.entries = _entries(self.ttl)

    def get(self, key: str) -> Entry | None:
        with self.lock:
            self.entries.expire()
            return self.entries.get(key)

    def forget(self) -> None:
        with self.lock:
            self.generation += 1
            self.entries.clear()

    def store(self, key: str, entry: Entry, generation: int) -> None:
        with self.lock:
            if generation != self.generation:
                return
            if _entry_size(entry) <= MAX_BYTES:
                self.entries[key] = entry


def page_cache(request: Request) -> PageCache:
    cache: PageCache | None = getattr(request.app.state, "page_cache", None)
    if cache is None:
        cache = request.app.state.page_cache = PageCache(app_settings(request).web_cache_seconds)
    return cache


async def _entry(request: Request, key: str, ttl: float, build: Callable[[], tuple[bytes, int]]) -> Entry:
    """The fresh entry for ``key``, rendering it (once, however many ask at the same time) when needed."""
    cache = page_cache(request)
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] <= ttl:
        return hit
    pending = cache.pending.get(key)
    if pending is None or pending.get_loop() is not asyncio.get_running_loop():  # (a loop that was shut down)
        pending = cache.pending[key] = asyncio.ensure_future(_render(request, cache, key, build))
        # Nobody may be left to collect an error (every waiter gone): retrieve it so asyncio does not warn.
        pending.add_done_callback(lambda done: done.cancelled() or done.exception())
    # Shielded: a visitor who disconnects must not cancel the render the others wait for.
    return await asyncio.shield(pending)


async def _render(
    request: Request, cache: PageCache, key: str, build: Callable[[], tuple[bytes, int]]
) -> Entry:
    generation = cache.generation
    try:
        body, status = await run_page_work(request, build)
    finally:
        if cache.pending.get(key) is asyncio.current_task():
            del cache.pending[key]
    entry = (time.monotonic(), body, status)
    cache.store(key, entry, generation)
    return entry


def _with_session(request: Request, work: Callable[[Session], T]) -> T:
    """``work`` with a database session of its own (a render shared by several requests must not use
    a session that one of them closes when it ends)."""
    with request.app.state.sessionmaker() as db:
        return work(db)


async def cached_page(
    request: Request, user: User | None, render: Callable[[Session], _TemplateResponse]
) -> Response:
    """``render(db)``'s page (run in the threadpool), from the cache when the visitor is anonymous."""
    ttl = app_settings(request).web_cache_seconds
    if user is not None or ttl <= 0:
        return await run_page_work(request, _with_session, request, render)

    def build() -> tuple[bytes, int]:
        state = request.scope.setdefault("state", {})
        real = state.pop("csrf_token", None)
        state["csrf_token"] = PLACEHOLDER
        try:
            response = _with_session(request, render)
        finally:
            state["csrf_token"] = real
            if real is None:
                state.pop("csrf_token")
        return bytes(response.body), response.status_code

    _, body, status = await _entry(request, f"{request.url.path}?{request.url.query}", ttl, build)
    return HTMLResponse(body.replace(PLACEHOLDER.encode(), csrf_value(request).encode()), status_code=status)


async def cached_json(request: Request, build: Callable[[Session], bytes]) -> Response:
    """The same micro-cache for public JSON (no per-visitor parts at all); ``build(db)`` runs in the threadpool."""
    ttl = app_settings(request).web_cache_seconds
    if ttl <= 0:
        body = await run_page_work(request, _with_session, request, build)
        return Response(body, media_type="application/json")
    _, body, _ = await _entry(
        request,
        f"json:{request.url.path}?{request.url.query}",
        ttl,
        lambda: (_with_session(request, build), 200),
    )
    return Response(body, media_type="application/json")


def forget_pages(request: Request) -> None:
    """A list changed: drop every cached page of this process (and any render already under way)."""
    page_cache(request).forget()
