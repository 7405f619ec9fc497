"""The app's one search backend: ``paperwire.search.service.SearchService``, or a keyword fallback.

A store without a search index (only the bundled sample, ``paperwire index`` not run yet) still gets a
working /search page: the fallback matches every term in titles and abstracts with SQL ``LIKE`` and
skips filters it cannot apply. ``Results.mode`` says which one answered, and the page shows it. Once
the index exists (checked on every call, a file stat) the real service answers.

What the service answers depends on the index alone (hits carry ids, scores and highlights, never
upvotes), so answers are kept in small per-process LRU caches keyed on the index's stamp: the
modification time, size and inode of the files ``paperwire index`` rewrites whenever it changes
anything (its state file, the keyword index's ``meta.json``, the vector manifest). A re-index in any
process changes the stamp, so no cached answer outlives the index it came from. Counts that change
between re-indexes (upvotes, who voted) are never cached here: pages read them from the database.

A page never waits long for semantic search: after ``PAPERWIRE_WEB_SEMANTIC_TIMEOUT`` seconds (the model
still loading after a start, a machine under load) it shows the keyword answer and says so, and that
answer is not cached. ``paperwire serve`` starts loading the model as each worker starts (``warm``).
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from fastapi import FastAPI, Request
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.lru import LRU
from paperwire.search.ondisk import MANIFEST, file_stamp
from paperwire.web.metrics import SEARCH_LATENCY

log = logging.getLogger("paperwire.web")
_lock = threading.Lock()

SEARCH_CACHE_SIZE = 512  # pages of hits (20 hits with highlights: about 30 kB each)
SIMILAR_CACHE_SIZE = 4096  # similar-paper lists (a few hundred bytes each)


@dataclass
class Hit:
    paper_id: int
    arxiv_id: str
    score: float
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class Results:
    hits: list[Hit]
    total: int
    mode: str
    query: str
    took_ms: float
    complete: bool = True


class SearchBackend(Protocol):
    def search(
        self,
        query: str,
        *,
        mode: str = "hybrid",
        limit: int = 20,
        offset: int = 0,
        semantic_timeout: float | None = None,
    ) -> Results: ...

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[Hit]: ...

    def warm(self) -> None: ...

    def model_ready(self) -> bool: ...


TERM = re.compile(r'-?"[^"]+"|\S+')


def _terms(query: str) -> list[str]:
    """Plain words and phrases; operators the fallback cannot honour (author:, cat:, -x) are skipped."""
    terms = []
    for raw in TERM.findall(query):
        if raw.startswith("-") or (":" in raw and not raw.startswith('"')):
            continue
        term = raw.replace("\x00", "").strip('"').strip()
        if term:
            terms.append(term[:100])
    return terms[:10]


def _mark(text: str, terms: list[str]) -> str:
    escaped = html.escape(text)
    for term in sorted(terms, key=len, reverse=True):
        escaped = re.sub(
            re.escape(html.escape(term)), lambda m: f"<mark>{m.group(0)}</mark>", escaped, flags=re.I
        )
    return escaped


def _snippet(text: str, terms: list[str], width: int = 240) -> str:
    lower = text.lower()
    positions = [lower.find(t.lower()) for t in terms if t.lower() in lower]
    start = max(0, min(positions) - 60) if positions else 0
    piece = text[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


Stamp = tuple[tuple[int, int, int] | None, ...]


class KeywordFallback:
    """Substring search in SQL: slow on big stores, but needs no index."""

    mode = "keyword (no search index yet: run `paperwire index`)"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def search(
        self,
        query: str,
        *,
        mode: str = "hybrid",
        limit: int = 20,
        offset: int = 0,
        semantic_timeout: float | None = None,
    ) -> Results:
        started = time.perf_counter()
        terms = _terms(query)
        if not terms:
            return Results([], 0, "keyword", query, 0.0)
        conditions = [
            or_(func.lower(Paper.title).contains(t.lower()), func.lower(Paper.abstract).contains(t.lower()))
            for t in terms
        ]
        with Session(self.engine) as db:
            total = int(db.execute(select(func.count(Paper.id)).where(and_(*conditions))).scalar_one())
            rows = db.execute(
                select(Paper.id, Paper.arxiv_id, Paper.title, Paper.abstract)
                .where(and_(*conditions))
                .order_by(Paper.published.desc(), Paper.arxiv_id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        hits = [
            Hit(
                pid,
                aid,
                1.0,
                {"title": _mark(title, terms), "abstract": _mark(_snippet(abstract, terms), terms)},
            )
            for pid, aid, title, abstract in rows
        ]
        return Results(hits, total, "keyword", query, (time.perf_counter() - started) * 1000)

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[Hit]:
        return []

    def warm(self) -> None:
        """Nothing to load."""

    def model_ready(self) -> bool:
        return True


class AdaptiveSearch:
    """The search service once its index exists, the keyword fallback until then (checked per call)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.fallback = KeywordFallback(engine)
        self._service: SearchBackend | None = None
        self._engine = engine
        self._stamp_files: list[Path] | None = None
        self._searches: LRU[tuple[Stamp, str, str, int, int], Results] = LRU(SEARCH_CACHE_SIZE)
        self._similar: LRU[tuple[Stamp, str, int], list[Hit]] = LRU(SIMILAR_CACHE_SIZE)

    def index_stamp(self) -> Stamp | None:
        """What identifies the index's current contents (a few file stats), or None without an index."""
        files = self._stamp_files
        if files is None:
            try:
                from paperwire.search import indexer
            except ImportError:
                return None
            files = self._stamp_files = [
                indexer.keyword_dir(self.settings) / "meta.json",
                indexer.index_root(self.settings) / indexer.STATE_FILE,
                indexer.vector_dir(self.settings) / MANIFEST,
            ]
        stamp = tuple(file_stamp(path) for path in files)
        return stamp if stamp[0] is not None else None

    def _backend(self) -> SearchBackend:
        try:
            from paperwire.search.service import SearchService, index_exists
        except ImportError:
            return self.fallback
        if not index_exists(self.settings):
            return self.fallback
        if self._service is None:
            with _lock:
                if self._service is None:
                    self._service = SearchService(self.settings, self._engine)  # type: ignore[assignment]
        assert self._service is not None
        return self._service

    def warm(self) -> None:
        """Open the search service and start loading its model in the background, if there is an index."""
        self._backend().warm()

    def model_ready(self) -> bool:
        """Whether semantic search answers without waiting for the model (for /readyz)."""
        return self._backend().model_ready()

    def search(self, query: str, *, mode: str = "hybrid", limit: int = 20, offset: int = 0) -> Results:
        """Raises ValueError (one line, for the user) for a query whose filters cannot mean anything."""
        started = time.perf_counter()
        results = self._search(query, mode=mode, limit=limit, offset=offset)
        SEARCH_LATENCY.labels(results.mode).observe(time.perf_counter() - started)
        return results

    def _search(self, query: str, *, mode: str, limit: int, offset: int) -> Results:
        """The cached answer, else the index's, else the keyword fallback's.

        An index that cannot be opened (made by another version, half-written) is an operator's problem:
        it is logged, and the keyword fallback answers meanwhile.
        """
        started = time.perf_counter()
        stamp = self.index_stamp()  # read before searching: a re-index meanwhile gives a new key
        key = (stamp, query, mode, limit, offset) if stamp is not None else None
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
            self._searches.put(key, results)
        return results

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[Hit]:
        """Similar papers, or none when the paper is not indexed yet (or the index is unusable)."""
        stamp = self.index_stamp()
        key = (stamp, arxiv_id, limit) if stamp is not None else None
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
            self._similar.put(key, hits)
        return hits


def get_search(request: Request) -> AdaptiveSearch:
    """One backend per app (``app.state.search``), so loaded models and indexes are shared by requests."""
    return app_search(request.app)


def app_search(app: FastAPI) -> AdaptiveSearch:
    state = app.state
    if state.search is None:
        with _lock:
            if state.search is None:
                state.search = AdaptiveSearch(state.settings, state.engine)
    search: AdaptiveSearch = state.search
    return search
