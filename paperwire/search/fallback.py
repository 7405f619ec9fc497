"""Search before there is an index: every term matched in titles and abstracts with SQL ``LIKE``.

A store without a search index (only the bundled sample, ``paperwire index`` not run yet) still gets
working search pages from it. It applies ``claim:`` filters and ``sort:claim`` (through the claims
store), skips the operators it cannot honour (``author:``, ``cat:``, ``-exclusions``) and is slow on big stores: ``paperwire index`` makes the real service answer. It reads the query with the service's
``parse_query``, so a filter with an unusable value is the same one-line ``QueryError``.
"""

from __future__ import annotations

import html
import re
import time

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from paperwire.claims.store import CLAIM_SORT_DEPTH, claimed_factor, claims_for, matching_ids
from paperwire.db.models import Paper
from paperwire.search.query import parse_query
from paperwire.search.service import SearchHit, SearchResults

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

    def search(
        self,
        query: str,
        *,
        mode: str = "hybrid",
        limit: int = 20,
        offset: int = 0,
        semantic_timeout: float | None = None,
    ) -> SearchResults:
        started = time.perf_counter()
        terms = _terms(query)
        parsed = parse_query(query)  # claim: and sort:claim read as the service reads them
        claims = parsed.claims
        if not terms and not claims:
            return SearchResults([], 0, "keyword", query, 0.0)
        conditions = [
            or_(func.lower(Paper.title).contains(t.lower()), func.lower(Paper.abstract).contains(t.lower()))
            for t in terms
        ]
        if claims:
            conditions.append(Paper.id.in_(matching_ids(claims)))
        with Session(self.engine) as db:
            total = int(db.execute(select(func.count(Paper.id)).where(and_(*conditions))).scalar_one())
            newest = (
                select(Paper.id, Paper.arxiv_id, Paper.title, Paper.abstract)
                .where(and_(*conditions))
                .order_by(Paper.published.desc(), Paper.arxiv_id.desc())
            )
            if parsed.sort_by_claim:  # as the service: its newest matches by strongest claim
                rows = list(db.execute(newest.limit(CLAIM_SORT_DEPTH)).all())
                found = claims_for(db, [row[0] for row in rows])
                rows.sort(key=lambda row: -claimed_factor(found.get(row[0], []), claims))
                rows = rows[offset : offset + limit]
            else:
                rows = list(db.execute(newest.limit(limit).offset(offset)).all())
        hits = [
            SearchHit(
                pid,
                aid,
                1.0,
                {"title": _mark(title, terms), "abstract": _mark(_snippet(abstract, terms), terms)},
            )
            for pid, aid, title, abstract in rows
        ]
        return SearchResults(hits, total, "keyword", query, (time.perf_counter() - started) * 1000)

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[SearchHit]:
        return []

    def warm(self) -> None:
        """Nothing to load."""

    def model_ready(self) -> bool:
        return True
