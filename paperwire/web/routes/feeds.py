"""RSS and Atom for the daily list, trending and any search (``web/syndication.py`` writes them)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from paperwire.config import Settings
from paperwire.daily.daily import daily_list
from paperwire.daily.trending import TrendingSettings, trending
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.listing import ListRow, cached_latest_day, list_rows, rows_for_hits, trending_now
from paperwire.web.searching import get_search
from paperwire.web.syndication import Format, feed_response

router = APIRouter(include_in_schema=False)

FEED_SIZE = 50


def render_feed(
    settings: Settings, fmt: Format, title: str, self_path: str, page_path: str, rows: list[ListRow]
) -> Response:
    base = settings.base_url.rstrip("/")
    papers = [(row.paper, row.entry.day if row.entry else None) for row in rows]
    return feed_response(
        fmt, base_url=base, title=title, self_url=base + self_path, page_url=base + page_path, papers=papers
    )


@router.get("/feeds/daily.{fmt}", name="daily_feed")
def daily_feed(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    fmt: Format,
    date: Annotated[dt.date | None, Query()] = None,
) -> Response:
    day = date or cached_latest_day(db, request)
    rows = list_rows(db, None, daily_list(db, day)) if day else []
    query = f"?date={day.isoformat()}" if date and day else ""
    title = f"paperwire daily papers · {day.isoformat()}" if date and day else "paperwire daily papers"
    return render_feed(settings, fmt, title, f"/feeds/daily.{fmt}{query}", f"/papers{query}", rows)


@router.get("/feeds/trending.{fmt}", name="trending_feed")
def trending_feed(request: Request, db: SessionDep, settings: SettingsDep, fmt: Format) -> Response:
    ranked = trending(db, trending_now(db, request), FEED_SIZE, TrendingSettings.from_settings(settings))
    rows = [ListRow(t.paper, None, False, t.upvotes, t.score) for t in ranked]
    return render_feed(
        settings, fmt, "paperwire trending papers", f"/feeds/trending.{fmt}", "/papers/trending", rows
    )


@router.get("/feeds/search.{fmt}", name="search_feed")
def search_feed(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    fmt: Format,
    q: Annotated[str, Query(max_length=500)] = "",
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid",
) -> Response:
    try:
        if not q.strip():
            raise ValueError(f"a search feed needs a query: /feeds/search.{fmt}?q=...")
        results = get_search(request).search(q, mode=mode, limit=FEED_SIZE)
    except ValueError as exc:  # still a feed, so that a reader shows the reason instead of a parse error
        response = render_feed(
            settings, fmt, f"paperwire search feed: {exc}", f"/feeds/search.{fmt}", "/search", []
        )
        response.status_code = 400
        return response
    rows = rows_for_hits(db, None, results.hits)
    query = "?" + urlencode({"q": q})
    return render_feed(
        settings, fmt, f"paperwire search: {q}", f"/feeds/search.{fmt}{query}", f"/search{query}", rows
    )
