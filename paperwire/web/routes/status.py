"""How complete and fresh this instance is: /status (page), /api/status (JSON) and /metrics (Prometheus).

Anyone may look; run targets and ingest error lines (which name files on the server) are for admins.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from cachetools import TTLCache
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup

from paperwire.status import Day, Month, StatusReport, status_report, store_history
from paperwire.web.charts import Bar, bar_chart
from paperwire.web.deps import OptionalUser, SettingsDep, render, run_page_work
from paperwire.web.metrics import exposition

router = APIRouter()


def day_bars(days: list[Day]) -> dict[str, Any]:
    """The three 90-day charts; each bar of a listed day opens that day's list."""

    def bars(value: str, noun: str, link: bool) -> list[Bar]:
        return [
            Bar(
                label=f"{d.day:%d %b}",
                value=getattr(d, value),
                title=f"{d.day:%a %d %b %Y}: {getattr(d, value):,} {noun}"
                + (f" ({d.expected_empty})" if d.expected_empty else ""),
                href=f"/papers?date={d.day.isoformat()}" if link and d.entries else None,
                muted=d.expected_empty is not None,
            )
            for d in days
        ]

    return {
        "papers": bar_chart(
            bars("papers", "papers", False), caption="Papers per day (arXiv listing or first version)"
        ),
        "entries": bar_chart(
            bars("entries", "papers on the community list", True), caption="Community-list entries per day"
        ),
        "upvotes": bar_chart(bars("upvotes", "upvotes", True), caption="Upvotes per list day"),
    }


HISTORY_SECONDS = 600  # the whole store's monthly counts move slowly and cost a scan of an index


def month_bars(months: list[Month]) -> dict[str, Markup]:
    def bars(value: str, noun: str) -> list[Bar]:
        return [
            Bar(
                label=f"{m.month:%b %Y}",
                value=getattr(m, value),
                title=f"{m.month:%B %Y}: {getattr(m, value):,} {noun}",
            )
            for m in months
        ]

    return {
        "papers": bar_chart(bars("papers", "papers"), caption="Papers per month, whole store"),
        "entries": bar_chart(
            bars("entries", "community-list entries"), caption="Community-list entries per month"
        ),
        "upvotes": bar_chart(bars("upvotes", "upvotes"), caption="Upvotes per month"),
    }


def history_charts(request: Request) -> dict[str, Markup]:
    """The /about charts, computed at most every HISTORY_SECONDS per worker."""
    cache: TTLCache[str, dict[str, Markup]] | None = getattr(request.app.state, "history_cache", None)
    if cache is None:
        cache = request.app.state.history_cache = TTLCache(maxsize=1, ttl=HISTORY_SECONDS)
    charts = cache.get("charts")
    if charts is None:
        months = store_history(request.app.state.engine)
        charts = cache["charts"] = month_bars(months) if months else {}
    return charts


def _public(report: StatusReport, admin: bool) -> dict[str, Any]:
    data = report.as_json()
    if not admin:
        for source in data["sources"]:
            if source["last_run"]:
                source["last_run"]["errors"] = []
    return data


Until = Annotated[
    dt.date | None,
    Query(description="Last day of the 90-day window, YYYY-MM-DD; default today or the newest day held."),
]


@router.get("/status", name="status_page", include_in_schema=False)
async def status_page(
    request: Request, user: OptionalUser, settings: SettingsDep, until: Until = None
) -> Response:
    def page() -> Response:
        report = status_report(request.app.state.engine, settings, until=until)
        return render(
            request,
            "status.html",
            report=report,
            charts=day_bars(report.days),
            admin=bool(user and user.role == "admin"),
        )

    return await run_page_work(request, page)


@router.get("/api/status", name="api_status", tags=["status"], summary="How complete and fresh the store is")
async def api_status(
    request: Request, user: OptionalUser, settings: SettingsDep, until: Until = None
) -> JSONResponse:
    """Per source the last run and newest data, day counts for 90 days, gaps, index lag and the outbox."""

    def answer() -> JSONResponse:
        report = status_report(request.app.state.engine, settings, until=until)
        return JSONResponse(_public(report, bool(user and user.role == "admin")))

    return await run_page_work(request, answer)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, settings: SettingsDep) -> Response:
    body, content_type = await run_page_work(request, exposition, request.app.state.engine, settings)
    return Response(body, media_type=content_type)
