"""The search a long-running app uses: the search service once its index exists, the keyword fallback
until then (checked on every call, a few file stats), with answers cached per index version.

What the service answers depends on the index alone (hits carry ids, scores and highlights, never
upvotes), so answers are kept in small per-process LRU caches keyed on the index's stamp
(``stored.index_stamp``): a re-index in any process changes the stamp, so no cached answer outlives the
index it came from. Counts that change between re-indexes (upvotes, who voted) are never cached here.

A page never waits long for semantic search: after ``PAPERWIRE_WEB_SEMANTIC_TIMEOUT`` seconds (the model
still loading after a start, a machine under load) it gets the keyword answer, saying so, and that
answer is not cached. ``warm`` starts loading the model as a server starts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from cachetools import LRUCache
from sqlalchemy import Engine

from paperwire.config import Settings
from paperwire.search.fallback import KeywordFallback
from paperwire.search.service import SearchHit, SearchResults, SearchService, index_exists
from paperwire.search.stored import Stamp, index_stamp

log = logging.getLogger("paperwire.search")

SEARCH_CACHE_SIZE = 512  # pages of hits (20 hits with highlights: about 30 kB each)
SIMILAR_CACHE_SIZE = 4096  # similar-paper lists (a few hundred bytes each)


class Backend(Protocol):
    """What answers: ``SearchService`` or ``KeywordFallback``."""

    def search(
        self,
        query: str,
        *,
        mode: str = "hybrid",
        limit: int = 20,
        offset: int = 0,
        semantic_timeout: float | None = None,
    ) -> SearchResults: ...

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[SearchHit]: ...

    def warm(self) -> None: ...

    def model_ready(self) -> bool: ...


class AdaptiveSearch:
    """The search service once its index exists, the keyword fallback until then (checked per call)."""

    def __init__(
        self, settings: Settings, engine: Engine, *, observe: Callable[[str, float], None] | None = None
    ) -> None:
        """``observe(mode, seconds)`` is told of every search (the web app feeds its metrics with it)."""
        self.settings = settings
        self._observe = observe
        self.fallback = KeywordFallback(engine)
        self._service: SearchService | None = None
        self._engine = engine
        self._lock = threading.Lock()  # guards the service's creation and both caches
        self._searches: LRUCache[tuple[Stamp, str, str, int, int], SearchResults] = LRUCache(
            SEARCH_CACHE_SIZE
        )
        self._similar: LRUCache[tuple[Stamp, str, int], list[SearchHit]] = LRUCache(SIMILAR_CACHE_SIZE)

    def index_stamp(self) -> Stamp | None:
        """What identifies the index's current contents, or None without an index."""
        return index_stamp(self.settings)

    def _backend(self) -> Backend:
        if not index_exists(self.settings):
            return self.fallback
        if self._service is None:
            with self._lock:
                if self._service is None:
                    self._service = SearchService(self.settings, self._engine)
        return self._service

    def warm(self) -> None:
        """Open the search service and start loading its model in the background, if there is an index."""
        self._backend().warm()

    def model_ready(self) -> bool:
        """Whether semantic search answers without waiting for the model (for /readyz)."""
        return self._backend().model_ready()

    def search(self, query: str, *, mode: str = "hybrid", limit: int = 20, offset: int = 0) -> SearchResults:
        """Raises ValueError (one line, for the user) for a query whose filters cannot mean anything."""
        started = time.perf_counter()
        results = self._search(query, mode=mode, limit=limit, offset=offset, started=started)
        if self._observe is not None:
            self._observe(results.mode, time.perf_counter() - started)
        return results

    def _search(self, query: str, *, mode: str, limit: int, offset: int, started: float) -> SearchResults:
        """The cached answer, else the index's.

        An index that cannot be opened (made by another version, half-written) is an operator's problem:
        it is logged, and the keyword fallback answers meanwhile.
        """
        stamp = self.index_stamp()  # read before searching: a re-index meanwhile gives a new key
        key = (stamp, query, mode, limit, offset) if stamp is not None else None
        with self._lock:
            cached = self._searches.get(key) if key is not None else None
        if cached is not None:
            return replace(cached, took_ms=(time.perf_counter() - started) * 1000)
        backend = self._backend()
        timeout = self.settings.web_semantic_timeout or None
        try:
            results = backend.search(query, mode=mode, limit=limit, offset=offset, semantic_timeout=timeout)
        except RuntimeError:
            if backend is self.fallback:
                raise
            log.exception("search index unusable; answering with the keyword fallback")
            return self.fallback.search(query, mode=mode, limit=limit, offset=offset)
        if key is not None and backend is not self.fallback and results.complete:
            with self._lock:
                self._searches[key] = results
        return results

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[SearchHit]:
        """Similar papers, or none when the paper is not indexed yet (or the index is unusable)."""
        stamp = self.index_stamp()
        key = (stamp, arxiv_id, limit) if stamp is not None else None
        with self._lock:
            cached = self._similar.get(key) if key is not None else None
        if cached is not None:
            return cached
        backend = self._backend()
        try:
            hits = backend.similar(arxiv_id, limit=limit)
        except LookupError:
            hits = []
        except RuntimeError:
            log.exception("search index unusable; no similar papers")
            return []
        if key is not None and backend is not self.fallback:
            with self._lock:
                self._similar[key] = hits
        return hits
