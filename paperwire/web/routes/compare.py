"""The claims comparison of any list or search: /compare?date=... (or week, month, trending, q) and
/compare.csv with the same parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from paperwire.claims.extract import KINDS
from paperwire.claims.store import claims_for
from paperwire.claims.table import Comparison, PaperRef, comparison
from paperwire.config import Settings
from paperwire.daily.daily import daily_list
from paperwire.daily.periods import parse_month, parse_week, period_list
from paperwire.daily.trending import TrendingSettings, trending
from paperwire.db.papers import title_rows
from paperwire.web.deps import SessionDep, SettingsDep, render, run_page_work
from paperwire.web.listing import cached_latest_day, trending_now
from paperwire.web.searching import get_search

router = APIRouter(include_in_schema=False)

SEARCH_ROWS = 100  # a search's comparison covers its best matches
Mode = Literal["hybrid", "keyword", "semantic"]


def _papers(
    request: Request,
    db: Session,
    settings: Settings,
    source: dict[str, str],
    mode: Mode,
) -> tuple[str, list[PaperRef]]:
    """The heading and the papers of the list or search the parameters name (the latest day by default)."""
    if "q" in source:
        try:
            results = get_search(request).search(source["q"], mode=mode, limit=SEARCH_ROWS)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        ids = [hit.paper_id for hit in results.hits]
        rows = title_rows(db, ids)
        return f"Search: {source['q']}", [
            PaperRef(pid, rows[pid].arxiv_id, rows[pid].title) for pid in ids if pid in rows
        ]
    if "week" in source:
        period = parse_week(source["week"][:20])
        listed = period_list(db, period, limit=200)
        heading = f"Week {period.label}"
    elif "month" in source:
        period = parse_month(source["month"][:20])
        listed = period_list(db, period, limit=300)
        heading = f"{period.start:%B %Y}"
    elif "trending" in source:
        ranked = trending(db, trending_now(db, request), 50, TrendingSettings.from_settings(settings))
        return "Trending", [PaperRef(t.paper.id, t.paper.arxiv_id, t.paper.title) for t in ranked]
    else:
        day = dt.date.fromisoformat(source["date"]) if "date" in source else cached_latest_day(db, request)
        listed = daily_list(db, day) if day else []
        heading = f"Daily papers of {day.isoformat()}" if day else "Daily papers"
    return heading, [PaperRef(lp.paper.id, lp.paper.arxiv_id, lp.paper.title) for lp in listed]


def _source(
    q: str | None, date: dt.date | None, week: str | None, month: str | None, trending_: bool
) -> dict[str, str]:
    given = {
        name: value
        for name, value in (
            ("q", q),
            ("date", date.isoformat() if date else None),
            ("week", week),
            ("month", month),
            ("trending", "1" if trending_ else None),
        )
        if value
    }
    if len(given) > 1:
        raise HTTPException(422, "give at most one of q, date, week, month and trending")
    return given


def _build(
    request: Request, db: Session, settings: Settings, source: dict[str, str], mode: Mode, sort: str | None
) -> tuple[str, Comparison]:
    heading, papers = _papers(request, db, settings, source, mode)
    table = comparison(papers, claims_for(db, [p.paper_id for p in papers]))
    return heading, table.sorted_by(sort)


Q = Annotated[str | None, Query(max_length=500, description="A search, in the search syntax")]
DATE = Annotated[dt.date | None, Query(description="A day's list, YYYY-MM-DD")]
WEEK = Annotated[str | None, Query(pattern=r"^\d{4}-W\d{2}$")]
MONTH = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]
SORT = Annotated[
    str | None,
    Query(pattern=f"^({'|'.join(KINDS)})$", description="Order by the strongest claim of this kind"),
]


@dataclass
class CompareQuery:
    """The query parameters both views take: what to compare, and by which kind to sort."""

    q: Q = None
    date: DATE = None
    week: WEEK = None
    month: MONTH = None
    trending: bool = False
    mode: Mode = "hybrid"
    sort: SORT = None

    def source(self) -> dict[str, str]:
        return _source(self.q, self.date, self.week, self.month, self.trending)


CompareQueryDep = Annotated[CompareQuery, Depends()]


@router.get("/compare", name="compare_page")
async def compare_page(
    request: Request, db: SessionDep, settings: SettingsDep, ask: CompareQueryDep
) -> Response:
    source = ask.source()
    params = {**source, **({"mode": ask.mode} if "q" in source else {})}

    def page() -> Response:
        heading, table = _build(request, db, settings, source, ask.mode, ask.sort)
        return render(
            request,
            "compare.html",
            heading=heading,
            table=table,
            sort=ask.sort,
            sort_url=lambda kind: "/compare?" + urlencode({**params, "sort": kind}),
            csv_url="/compare.csv?" + urlencode({**params, **({"sort": ask.sort} if ask.sort else {})}),
        )

    return await run_page_work(request, page)


@router.get("/compare.csv", name="compare_csv")
async def compare_csv(
    request: Request, db: SessionDep, settings: SettingsDep, ask: CompareQueryDep
) -> Response:
    source = ask.source()

    def page() -> Response:
        _, table = _build(request, db, settings, source, ask.mode, ask.sort)
        return Response(
            table.csv(settings.base_url.rstrip("/")),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="claims.csv"'},
        )

    return await run_page_work(request, page)
