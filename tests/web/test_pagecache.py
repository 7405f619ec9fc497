"""The anonymous page cache: one render per expired page however many ask, and no stale keeping."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, TypeVar

from paperwire.config import Settings
from paperwire.web.deps import run_page_work
from paperwire.web.pagecache import MAX_BYTES, PageCache, _entry

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: earlier tests (Playwright's sync API) may have left this
    thread inside a running event loop."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def fake_request(cache: PageCache) -> Any:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(page_cache=cache, settings=Settings())))


def test_concurrent_requests_for_an_expired_page_render_it_once() -> None:
    cache = PageCache()
    renders: list[int] = []
    lock = threading.Lock()

    def build() -> tuple[bytes, int]:
        with lock:
            renders.append(1)
        time.sleep(0.05)  # the render is under way while the others arrive
        return f"page {len(renders)}".encode(), 200

    async def main() -> list[tuple[float, bytes, int]]:
        request = fake_request(cache)
        return await asyncio.gather(*(_entry(request, "k", 3.0, build) for _ in range(20)))

    results = run(main())
    assert len(renders) == 1
    assert {body for _, body, _ in results} == {b"page 1"}
    assert cache.entries["k"][1] == b"page 1" and not cache.pending

    # Expired: rendered again (once), not served stale.
    async def again() -> tuple[float, bytes, int]:
        return await _entry(fake_request(cache), "k", 0.0, build)

    assert run(again())[1] == b"page 2"


def test_a_render_that_began_before_a_list_changed_is_not_kept() -> None:
    cache = PageCache()
    calls: list[int] = []

    def build() -> tuple[bytes, int]:
        calls.append(1)
        if len(calls) == 1:
            cache.forget()  # a vote commits while this render is reading the list
        return f"render {len(calls)}".encode(), 200

    async def fetch() -> bytes:
        return (await _entry(fake_request(cache), "k", 3.0, build))[1]

    assert run(fetch()) == b"render 1"  # the waiting request gets what it asked for
    assert "k" not in cache.entries  # but the next one does not: it may predate the vote
    assert run(fetch()) == b"render 2"
    assert cache.entries["k"][1] == b"render 2"
    assert run(fetch()) == b"render 2" and len(calls) == 2


def test_page_work_runs_on_as_many_threads_as_configured() -> None:
    request = SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(settings=Settings(web_page_threads=2)))
    )
    running: list[int] = []
    most = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal most
        with lock:
            running.append(1)
            most = max(most, len(running))
        time.sleep(0.05)
        with lock:
            running.pop()

    async def main() -> None:
        await asyncio.gather(*(run_page_work(request, work) for _ in range(6)))  # type: ignore[arg-type]

    run(main())
    assert most == 2


def test_the_cache_is_bounded_by_bytes_and_drops_expired_pages() -> None:
    """A stream of distinct URLs (every day's list, every API page) must not grow a worker without bound."""
    cache = PageCache(ttl=60)
    page = b"x" * 120_000  # an /api/daily_papers answer's size
    for day in range(2_000):
        cache.store(f"/api/daily_papers?date={day}", (time.monotonic(), page, 200), cache.generation)
    assert cache.entries.currsize <= MAX_BYTES
    assert 0 < len(cache.entries) < 2_000 and cache.get("/api/daily_papers?date=1999") is not None
    short = PageCache(ttl=0.05)
    short.store("/papers", (time.monotonic(), page, 200), short.generation)
    time.sleep(0.1)
    assert short.get("/papers") is None and short.entries.currsize == 0
