"""Browsing pages in Hugging Face's URL scheme: /papers (a day), week, month, trending, a paper, /about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.templating import _TemplateResponse

from paperwire.claims.store import claims_for
from paperwire.daily.daily import adjacent_days, daily_list, paper_with_entry
from paperwire.daily.periods import (
    Period,
    parse_month,
    parse_week,
    period_list,
    shift_month,
    shift_week,
    week_label,
)
from paperwire.daily.trending import TrendingSettings, trending
from paperwire.daily.votes import voted_papers
from paperwire.db.papers import title_rows
from paperwire.library.bibtex import bibtex, citation_key
from paperwire.papers.ids import InvalidArxivId, parse_arxiv_id
from paperwire.web.deps import OptionalUser, SessionDep, SettingsDep, render, run_page_work
from paperwire.web.listing import ListRow, cached_latest_day, list_rows, row_claims, trending_now
from paperwire.web.pagecache import cached_page
from paperwire.web.routes.status import history_charts
from paperwire.web.searching import get_search

router = APIRouter(include_in_schema=False)

SIMILAR = 6


@router.get("/", name="home")
def home() -> RedirectResponse:
    return RedirectResponse("/papers", 307)


@router.get("/papers", name="daily_page")
async def daily_page(
    request: Request,
    user: OptionalUser,
    date: Annotated[dt.date | None, Query(description="List day, YYYY-MM-DD; default the latest.")] = None,
) -> Response:
    def page(db: Session) -> _TemplateResponse:
        day = date or cached_latest_day(db, request)
        if day is None:
            return render(
                request, "list.html", heading="Daily papers", rows=[], empty_hint=True, kind="daily"
            )
        before, after = adjacent_days(db, day)
        return _list_page(
            request,
            db,
            list_rows(db, user, daily_list(db, day)),
            heading=f"Daily papers · {day:%A, %d %B %Y}",
            kind="daily",
            day=day,
            compare_url=f"/compare?date={day.isoformat()}",
            prev_url=f"/papers?date={before.isoformat()}" if before else None,
            next_url=f"/papers?date={after.isoformat()}" if after else None,
            week=week_label(day),
            month=f"{day:%Y-%m}",
            feed_query=f"?date={day.isoformat()}" if date else "",
        )

    return await cached_page(request, user, page)


def _maybe(prefix: str, label: str | None) -> str | None:
    return prefix + label if label else None


def _list_page(request: Request, db: Session, rows: list[ListRow], **context: Any) -> _TemplateResponse:
    """A list page: its rows with their claims' chips."""
    return render(request, "list.html", rows=rows, claims=row_claims(db, rows), **context)


async def _period_page(
    request: Request,
    user: OptionalUser,
    period: Period,
    limit: int,
    shift: Callable[[Period, int], str | None],
    prefix: str,
    **context: object,
) -> Response:
    """A week's or a month's list, linking to the periods before and after it."""

    def page(db: Session) -> _TemplateResponse:
        rows = list_rows(db, user, period_list(db, period, limit=limit))
        return _list_page(
            request,
            db,
            rows,
            prev_url=_maybe(prefix, shift(period, -1)),
            next_url=_maybe(prefix, shift(period, 1)),
            **context,
        )

    return await cached_page(request, user, page)


@router.get("/papers/week/{week}", name="week_page")
async def week_page(request: Request, user: OptionalUser, week: str) -> Response:
    period = parse_week(week[:20])
    return await _period_page(
        request,
        user,
        period,
        200,
        shift_week,
        "/papers/week/",
        heading=f"Papers of week {period.label} ({period.start:%d %b} – {period.end:%d %b %Y})",
        kind="week",
        compare_url=f"/compare?week={period.label}",
        month=f"{period.start:%Y-%m}",
    )


@router.get("/papers/month/{month}", name="month_page")
async def month_page(request: Request, user: OptionalUser, month: str) -> Response:
    period = parse_month(month[:20])
    return await _period_page(
        request,
        user,
        period,
        300,
        shift_month,
        "/papers/month/",
        heading=f"Papers of {period.start:%B %Y}",
        kind="month",
        compare_url=f"/compare?month={period.start:%Y-%m}",
        week=week_label(period.start),
    )


@router.get("/papers/trending", name="trending_page")
async def trending_page(request: Request, user: OptionalUser, settings: SettingsDep) -> Response:
    def page(db: Session) -> _TemplateResponse:
        now = trending_now(db, request)
        ranked = trending(db, now, 50, TrendingSettings.from_settings(settings))
        mine = voted_papers(db, user.id if user else None, [t.paper.id for t in ranked])
        return _list_page(
            request,
            db,
            [ListRow(t.paper, None, t.paper.id in mine, t.upvotes, t.score) for t in ranked],
            heading="Trending papers",
            kind="trending",
            compare_url="/compare?trending=1",
            as_of=now,
        )

    return await cached_page(request, user, page)


def _canonical(arxiv_id: str) -> str:
    try:
        return parse_arxiv_id(arxiv_id[:100])[0]
    except InvalidArxivId:
        raise HTTPException(404, f"{arxiv_id[:100]!r} is not an arXiv id") from None


@router.get("/papers/{arxiv_id:path}/bibtex", name="bibtex_download")
def bibtex_download(db: SessionDep, arxiv_id: str) -> Response:
    found = paper_with_entry(db, _canonical(arxiv_id))
    if found is None:
        raise HTTPException(404, f"no paper {arxiv_id[:100]} in this store")
    paper = found[0]
    return Response(
        bibtex(paper),
        media_type="application/x-bibtex; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{citation_key(paper)}.bib"'},
    )


@router.get("/papers/{arxiv_id:path}", name="paper_page")
async def paper_page(request: Request, db: SessionDep, user: OptionalUser, arxiv_id: str) -> Response:
    canonical = _canonical(arxiv_id)
    if canonical != arxiv_id:
        return RedirectResponse(f"/papers/{canonical}", 308)

    def page() -> Response:
        found = paper_with_entry(db, canonical)
        if found is None:
            raise HTTPException(404, f"no paper {canonical} in this store; signed-in users can submit it")
        paper, entry = found
        voted = bool(voted_papers(db, user.id if user else None, [paper.id]))
        hits = get_search(request).similar(canonical, limit=SIMILAR)  # cached until the index changes
        by_id = title_rows(db, [h.paper_id for h in hits])
        similar = [by_id[h.paper_id] for h in hits if h.paper_id in by_id and h.paper_id != paper.id]
        return render(
            request,
            "paper.html",
            paper=paper,
            entry=entry,
            voted=voted,
            upvotes=entry.upvotes if entry else 0,  # read now: never cached
            similar=similar,
            bibtex=bibtex(paper),
            claims=claims_for(db, [paper.id]).get(paper.id, []),
        )

    return await run_page_work(request, page)


@router.get("/about", name="about_page")
async def about_page(request: Request, user: OptionalUser, settings: SettingsDep) -> _TemplateResponse:
    history = await run_page_work(request, history_charts, request)
    return render(request, "about.html", trending=TrendingSettings.from_settings(settings), history=history)
