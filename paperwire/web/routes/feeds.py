"""RSS and Atom for the daily list, trending and any search; each item's GUID is its arXiv id.

The GUID (``arxiv:2401.01234``) does not depend on this instance's URL, so a reader that follows
two instances, or an instance that moves, does not see a paper twice.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from paperwire.config import Settings
from paperwire.feed.daily import daily_list
from paperwire.feed.trending import TrendingSettings, trending
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.searching import get_search
from paperwire.web.views import (
    Item,
    cached_latest_day,
    items,
    items_for_hits,
    trending_now,
)

router = APIRouter(include_in_schema=False)

Format = Literal["rss", "atom"]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FEED_SIZE = 50


def _clean(text: str) -> str:
    """XML 1.0 cannot carry control characters; a single bad abstract must not break the feed."""
    return CONTROL.sub("", text)


def render_feed(
    settings: Settings, fmt: Format, title: str, self_path: str, page_path: str, rows: list[Item]
) -> Response:
    base = settings.base_url.rstrip("/")
    fg = FeedGenerator()
    fg.id(base + self_path)
    fg.title(_clean(title))
    fg.description(_clean(title))
    fg.link(href=base + self_path, rel="self")
    fg.link(href=base + page_path, rel="alternate")  # after "self": RSS's channel <link> is the last one set
    fg.language("en")
    newest = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    for row in rows:
        paper = row.paper
        day = row.entry.day if row.entry else paper.published
        when = dt.datetime.combine(day or dt.date(1970, 1, 1), dt.time(), tzinfo=dt.UTC)
        newest = max(newest, when)
        entry = fg.add_entry(order="append")
        entry.id(f"arxiv:{paper.arxiv_id}")
        entry.guid(f"arxiv:{paper.arxiv_id}", permalink=False)
        entry.title(_clean(paper.title))
        entry.link(href=f"{base}/papers/{paper.arxiv_id}")
        entry.description(_clean(paper.abstract) or _clean(paper.title))
        entry.published(when)
        entry.updated(when)
        for name in paper.authors[:20]:
            if name.strip():
                entry.author({"name": _clean(name)})
        for category in paper.categories[:10]:
            entry.category(term=_clean(category))
    fg.updated(newest)
    if fmt == "rss":
        return Response(fg.rss_str(pretty=False), media_type="application/rss+xml; charset=utf-8")
    return Response(fg.atom_str(pretty=False), media_type="application/atom+xml; charset=utf-8")


@router.get("/feeds/daily.{fmt}", name="daily_feed")
def daily_feed(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    fmt: Format,
    date: Annotated[dt.date | None, Query()] = None,
) -> Response:
    day = date or cached_latest_day(db, request)
    rows = items(db, None, daily_list(db, day)) if day else []
    query = f"?date={day.isoformat()}" if date and day else ""
    title = f"paperwire daily papers · {day.isoformat()}" if date and day else "paperwire daily papers"
    return render_feed(settings, fmt, title, f"/feeds/daily.{fmt}{query}", f"/papers{query}", rows)


@router.get("/feeds/trending.{fmt}", name="trending_feed")
def trending_feed(request: Request, db: SessionDep, settings: SettingsDep, fmt: Format) -> Response:
    ranked = trending(db, trending_now(db, request), FEED_SIZE, TrendingSettings.from_settings(settings))
    rows = [Item(t.paper, None, False, t.upvotes, t.score) for t in ranked]
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
    rows = items_for_hits(db, None, results.hits)
    query = "?" + urlencode({"q": q})
    return render_feed(
        settings, fmt, f"paperwire search: {q}", f"/feeds/search.{fmt}{query}", f"/search{query}", rows
    )
