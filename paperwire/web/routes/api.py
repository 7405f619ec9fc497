"""The JSON API, shaped like Hugging Face's Papers API so its clients work against this instance.

Reads need no authentication. Upvoting and submitting need ``Authorization: Bearer TOKEN`` (create a
token on the account page) or, from the site's own scripts, the session cookie plus ``X-CSRF-Token``.
Errors are always ``{"ok": false, "error": "...", "status": N}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy.orm import Session

from paperwire.claims import Claim
from paperwire.claims.labels import label as claim_label
from paperwire.claims.store import claims_for
from paperwire.config import Settings
from paperwire.daily.daily import ListedPaper, daily_list, paper_with_entry
from paperwire.daily.periods import Period, parse_month, parse_week, period_list
from paperwire.daily.submit import arxiv_fetcher, submit_paper
from paperwire.daily.trending import TrendingSettings, trending
from paperwire.daily.votes import set_vote
from paperwire.db.models import DailyEntry, Paper
from paperwire.db.papers import EntryRow, PaperRow
from paperwire.papers.ids import InvalidArxivId, parse_arxiv_id
from paperwire.web.deps import CurrentUser, SessionDep, SettingsDep, run_page_work
from paperwire.web.listing import cached_latest_day, forget_latest_day, rows_for_hits, trending_now
from paperwire.web.pagecache import cached_json, forget_pages
from paperwire.web.routes.submit import today
from paperwire.web.searching import get_search


class ErrorOut(BaseModel):
    ok: Literal[False] = False
    error: str
    status: int


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (401, "Sign-in or API token required"),
        (403, "Not allowed (CSRF token missing or wrong, or not an admin)"),
        (404, "No such paper"),
        (409, "Conflict (already submitted, or not on a daily list)"),
        (422, "Invalid input"),
        (429, "Rate limited"),
    )
}

router = APIRouter(prefix="/api", tags=["papers"], responses=ERRORS)


class AuthorOut(BaseModel):
    name: str


class UserOut(BaseModel):
    name: str
    fullname: str
    type: str = "user"


class PaperOut(BaseModel):
    id: str = Field(description="arXiv id without version")
    authors: list[AuthorOut]
    publishedAt: str | None = Field(description="arXiv publication date, ISO 8601")
    title: str
    summary: str
    upvotes: int
    githubRepo: str | None = None
    githubStars: int | None = None
    projectPage: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    submittedOnDailyAt: str | None = None
    submittedOnDailyBy: UserOut | None = None
    claims: list[ClaimOut] = Field(default_factory=list, description="Quantitative claims of the abstract")


class ClaimOut(BaseModel):
    """A quantitative claim of the abstract (``paperwire claims extract``'s shape, plus a chip label)."""

    text: str = Field(description="The abstract's own words, an exact substring")
    value: float | None = Field(None, description="The number (absent for a range)")
    value_min: float | None = None
    value_max: float | None = None
    unit: str = Field(description="x, %, count or absolute")
    unit_text: str | None = Field(None, description="For absolute units: ms, GB, W, USD, ...")
    kind: str
    direction: str = Field(description="improve, reduce or neutral")
    label: str = Field(description='The chip shown on pages: "2× faster", "−61 % memory"')


def claims_out(claims: Sequence[Claim]) -> list[ClaimOut]:
    return [ClaimOut(**c.as_json(), label=claim_label(c)) for c in claims]


class DailyPaperOut(BaseModel):
    paper: PaperOut
    publishedAt: str | None
    title: str
    summary: str
    numComments: int
    submittedBy: UserOut | None
    isAuthorParticipating: bool = False


class VoteOut(BaseModel):
    ok: Literal[True] = True
    id: str
    voted: bool
    upvotes: int


class SubmitIn(BaseModel):
    id: str = Field(min_length=1, max_length=300, description="arXiv id or URL")


def _iso(day: dt.date | None) -> str | None:
    return f"{day.isoformat()}T00:00:00.000Z" if day else None


def _user(entry: DailyEntry | EntryRow | None) -> UserOut | None:
    if entry is None or not entry.submitter:
        return None
    return UserOut(name=entry.submitter, fullname=entry.submitter)


def paper_out(
    paper: Paper | PaperRow,
    entry: DailyEntry | EntryRow | None,
    upvotes: int | None = None,
    claims: Sequence[Claim] = (),
) -> PaperOut:
    return PaperOut(
        id=paper.arxiv_id,
        authors=[AuthorOut(name=a) for a in paper.authors],
        publishedAt=_iso(paper.published),
        title=paper.title,
        summary=paper.abstract,
        upvotes=upvotes if upvotes is not None else (entry.upvotes if entry else 0),
        githubRepo=paper.code_urls[0] if paper.code_urls else None,
        githubStars=paper.github_stars,
        projectPage=paper.project_page,
        ai_summary=paper.ai_summary,
        ai_keywords=paper.ai_keywords,
        submittedOnDailyAt=_iso(entry.day) if entry else None,
        submittedOnDailyBy=_user(entry),
        claims=claims_out(claims),
    )


def daily_out(
    paper: Paper | PaperRow,
    entry: DailyEntry | EntryRow | None,
    upvotes: int | None = None,
    claims: Sequence[Claim] = (),
) -> DailyPaperOut:
    return DailyPaperOut(
        paper=paper_out(paper, entry, upvotes, claims),
        publishedAt=_iso(paper.published),
        title=paper.title,
        summary=paper.abstract,
        numComments=entry.num_comments if entry else 0,
        submittedBy=_user(entry),
    )


@router.get("/daily_papers", response_model=list[DailyPaperOut], summary="Daily papers")
async def api_daily_papers(
    request: Request,
    settings: SettingsDep,
    date: Annotated[dt.date | None, Query(description="A day, YYYY-MM-DD")] = None,
    week: Annotated[str | None, Query(pattern=r"^\d{4}-W\d{2}$", description="An ISO week, 2026-W23")] = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="A month, 2026-06")] = None,
    sort: Annotated[
        Literal["trending", "publishedAt"] | None,
        Query(description="trending: time-decayed votes (see /about); publishedAt: newest arXiv date first"),
    ] = None,
    p: Annotated[int, Query(ge=0, le=10_000, description="Page, from 0")] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Response:
    """A day's list (default: the latest), an ISO week's or a month's, or trending across days."""
    if sum(x is not None for x in (date, week, month)) > 1:
        raise HTTPException(422, "give at most one of date, week and month")
    periods = (
        parse_week(week) if week else None,
        parse_month(month) if month else None,
    )  # 422 before caching

    def build(db: Session) -> bytes:
        items = _daily_papers(request, db, settings, date, periods, sort, p * limit, limit)
        return DAILY_LIST.dump_json(items)

    return await cached_json(request, build)


DAILY_LIST = TypeAdapter(list[DailyPaperOut])


def _daily_papers(
    request: Request,
    db: Session,
    settings: Settings,
    date: dt.date | None,
    periods: tuple[Period | None, Period | None],
    sort: str | None,
    start: int,
    limit: int,
) -> list[DailyPaperOut]:
    week, month = periods
    if sort == "trending" and date is None and week is None and month is None:
        ranked = trending(
            db, trending_now(db, request), start + limit, TrendingSettings.from_settings(settings)
        )
        found = claims_for(db, [t.paper.id for t in ranked[start:]])
        return [daily_out(t.paper, None, t.upvotes, found.get(t.paper.id, ())) for t in ranked[start:]]
    listed: list[ListedPaper]
    if week is not None:
        listed = period_list(db, week)
    elif month is not None:
        listed = period_list(db, month)
    else:
        day = date or cached_latest_day(db, request)
        listed = daily_list(db, day) if day else []
    if sort == "publishedAt":
        listed.sort(key=lambda lp: (lp.paper.published or dt.date.min, lp.entry.upvotes), reverse=True)
    page = listed[start : start + limit]
    found = claims_for(db, [lp.paper.id for lp in page])
    return [daily_out(lp.paper, lp.entry, None, found.get(lp.paper.id, ())) for lp in page]


@router.get("/papers/search", response_model=list[DailyPaperOut], summary="Search papers")
async def api_search(
    request: Request,
    response: Response,
    db: SessionDep,
    q: Annotated[str, Query(max_length=500, description="Query, in the search syntax of /about")] = "",
    claim: Annotated[
        str,
        Query(
            max_length=200,
            description="Claim filters, comma-separated: speedup>=2, memory, energy<=-30% "
            "(the same as claim:... in q; reductions are negative)",
        ),
    ] = "",
    sort: Annotated[
        Literal["relevance", "claim"], Query(description="claim: the strongest claimed factor first")
    ] = "relevance",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid",
) -> list[DailyPaperOut]:
    """The body is Hugging Face's list; ``X-Total-Count`` says how many papers match (0: none) and
    ``X-Search-Notice`` (URL-encoded) how the query was loosened, when it was."""
    query = " ".join(
        [
            q.strip(),
            *(f"claim:{c}" for c in claim.replace(",", " ").split()),
            *(["sort:claim"] * (sort == "claim")),
        ]
    ).strip()
    if not query:
        raise HTTPException(422, "give q or claim")

    def work() -> list[DailyPaperOut]:
        try:
            results = get_search(request).search(query, mode=mode, limit=limit)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        response.headers["X-Total-Count"] = str(results.total)
        if results.notice:
            response.headers["X-Search-Notice"] = quote(results.notice)
        rows = rows_for_hits(db, None, results.hits)
        found = claims_for(db, [row.paper.id for row in rows])
        return [daily_out(row.paper, row.entry, None, found.get(row.paper.id, ())) for row in rows]

    return await run_page_work(request, work)


def _canonical(arxiv_id: str) -> str:
    try:
        return parse_arxiv_id(arxiv_id[:100])[0]
    except InvalidArxivId:
        raise HTTPException(404, f"{arxiv_id[:100]!r} is not an arXiv id") from None


@router.post("/papers/submit", response_model=DailyPaperOut, status_code=201, summary="Submit a paper")
def api_submit(
    request: Request, db: SessionDep, settings: SettingsDep, user: CurrentUser, body: SubmitIn
) -> DailyPaperOut:
    """Put a paper on today's list (within 14 days of its arXiv date; once)."""
    entry = submit_paper(db, user, body.id, today=today(), fetch=arxiv_fetcher(settings))
    forget_latest_day(request)
    return daily_out(entry.paper, entry)


@router.post("/papers/{arxiv_id:path}/upvote", response_model=VoteOut, summary="Upvote a paper")
def api_upvote(request: Request, db: SessionDep, user: CurrentUser, arxiv_id: str) -> VoteOut:
    """Idempotent: upvoting twice counts once."""
    result = set_vote(db, user.id, _canonical(arxiv_id), up=True)
    forget_pages(request)
    return VoteOut(id=result.arxiv_id, voted=True, upvotes=result.upvotes)


@router.delete("/papers/{arxiv_id:path}/upvote", response_model=VoteOut, summary="Remove an upvote")
def api_unvote(request: Request, db: SessionDep, user: CurrentUser, arxiv_id: str) -> VoteOut:
    result = set_vote(db, user.id, _canonical(arxiv_id), up=False)
    forget_pages(request)
    return VoteOut(id=result.arxiv_id, voted=False, upvotes=result.upvotes)


@router.get("/papers/{arxiv_id:path}", response_model=PaperOut, summary="One paper")
def api_paper(db: SessionDep, arxiv_id: str) -> PaperOut:
    found = paper_with_entry(db, _canonical(arxiv_id))
    if found is None:
        raise HTTPException(404, f"no paper {arxiv_id[:100]} in this store")
    paper, entry = found
    return paper_out(paper, entry, None, claims_for(db, [paper.id]).get(paper.id, ()))
