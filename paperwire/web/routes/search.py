"""The search page: the query box plus filters (turned into query syntax), highlighted hits, paging."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator

from paperwire.web.deps import OptionalUser, SessionDep, render, run_page_work
from paperwire.web.listing import row_claims, rows_for_hits
from paperwire.web.searching import get_search

router = APIRouter(include_in_schema=False)

PER_PAGE = 20
MAX_PAGE = 50
Mode = Literal["hybrid", "keyword", "semantic"]


def full_query(
    q: str,
    cat: str,
    author: str,
    has_code: bool,
    after: dt.date | None,
    before: dt.date | None,
    claim: str = "",
    sort: str = "relevance",
) -> str:
    """The filter fields, appended to the free text in the search syntax the service understands."""
    parts = [q.strip()]
    parts.extend(f"claim:{c}" for c in claim.replace(",", " ").split())
    if sort == "claim":
        parts.append("sort:claim")
    if cat.strip():
        parts.append(f"cat:{cat.strip().split()[0]}")
    if author.strip():
        parts.append('author:"{}"'.format(author.strip().replace('"', "")))
    if has_code:
        parts.append("has:code")
    if after:
        parts.append(f"after:{after.isoformat()}")
    if before:
        parts.append(f"before:{before.isoformat()}")
    return " ".join(p for p in parts if p)


def _blank_is_none(value: object) -> object:
    """The form's empty date fields arrive as ``after=&before=``: no date, not an invalid one."""
    return value or None


@router.get("/search", name="search_page")
async def search_page(
    request: Request,
    db: SessionDep,
    user: OptionalUser,
    q: Annotated[str, Query(max_length=500)] = "",
    mode: Mode = "hybrid",
    cat: Annotated[str, Query(max_length=40)] = "",
    author: Annotated[str, Query(max_length=200)] = "",
    has_code: bool = False,
    after: Annotated[dt.date | None, BeforeValidator(_blank_is_none)] = None,
    before: Annotated[dt.date | None, BeforeValidator(_blank_is_none)] = None,
    claim: Annotated[str, Query(max_length=200)] = "",
    sort: Literal["relevance", "claim"] = "relevance",
    p: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    query = full_query(q, cat, author, has_code, after, before, claim, sort)
    filters = {
        "q": q,
        "mode": mode,
        "cat": cat,
        "author": author,
        "has_code": has_code,
        "after": after,
        "before": before,
        "claim": claim,
        "sort": sort,
    }
    if not query:
        return render(request, "search.html", rows=[], filters=filters, total=0, query="", q=q)

    def page() -> Response:
        try:
            results = get_search(request).search(query, mode=mode, limit=PER_PAGE, offset=(p - 1) * PER_PAGE)
        except ValueError as exc:
            return render(
                request, "search.html", 422, rows=[], filters=filters, total=0, query="", q=q, error=str(exc)
            )
        pages = min(MAX_PAGE, math.ceil(results.total / PER_PAGE))
        base = {k: v for k, v in request.query_params.items() if k != "p"}
        rows = rows_for_hits(db, user, results.hits)
        return render(
            request,
            "search.html",
            rows=rows,
            claims=row_claims(db, rows),
            compare_url="/compare?" + urlencode({"q": query, "mode": mode}),
            filters=filters,
            total=results.total,
            took_ms=results.took_ms,
            mode_used=results.mode,
            notice=results.notice,
            query=query,
            q=q,
            page=p,
            pages=pages,
            prev_url=f"/search?{urlencode({**base, 'p': p - 1})}" if p > 1 else None,
            next_url=f"/search?{urlencode({**base, 'p': p + 1})}" if p < pages else None,
            feed_query="?" + urlencode({"q": query}),
        )

    return await run_page_work(request, page)
