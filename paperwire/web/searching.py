"""The app's one search backend: ``paperwire.search.service.SearchService``, or a keyword fallback.

A store without a search index (only the bundled sample, ``paperwire index`` not run yet) still gets a
working /search page: the fallback matches every term in titles and abstracts with SQL ``LIKE`` and
skips filters it cannot apply. ``Results.mode`` says which one answered, and the page shows it. Once
the index exists (checked on every call, a file stat) the real service answers.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from fastapi import Request
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import Paper

log = logging.getLogger("paperwire.web")
_lock = threading.Lock()


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


class SearchBackend(Protocol):
    def search(self, query: str, *, mode: str = "hybrid", limit: int = 20, offset: int = 0) -> Results: ...

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[Hit]: ...


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


class KeywordFallback:
    """Substring search in SQL: slow on big stores, but needs no index."""

    mode = "keyword (no search index yet: run `paperwire index`)"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def search(self, query: str, *, mode: str = "hybrid", limit: int = 20, offset: int = 0) -> Results:
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


class AdaptiveSearch:
    """The search service once its index exists, the keyword fallback until then (checked per call)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.fallback = KeywordFallback(engine)
        self._service: SearchBackend | None = None
        self._engine = engine

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

    def search(self, query: str, *, mode: str = "hybrid", limit: int = 20, offset: int = 0) -> Results:
        """Raises ValueError (one line, for the user) for a query whose filters cannot mean anything.

        An index that cannot be opened (made by another version, half-written) is an operator's problem:
        it is logged, and the keyword fallback answers meanwhile.
        """
        backend = self._backend()
        try:
            return backend.search(query, mode=mode, limit=limit, offset=offset)
        except RuntimeError:
            if backend is self.fallback:
                raise
            log.exception("search index unusable; answering with the keyword fallback")
            return self.fallback.search(query, mode=mode, limit=limit, offset=offset)

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[Hit]:
        """Similar papers, or none when the paper is not indexed yet (or the index is unusable)."""
        try:
            return self._backend().similar(arxiv_id, limit=limit)
        except LookupError:
            return []
        except RuntimeError:
            log.exception("search index unusable; no similar papers")
            return []


def get_search(request: Request) -> SearchBackend:
    """One backend per app (``app.state.search``), so loaded models and indexes are shared by requests."""
    state = request.app.state
    if state.search is None:
        with _lock:
            if state.search is None:
                state.search = AdaptiveSearch(state.settings, state.engine)
    backend: SearchBackend = state.search
    return backend
