"""Submitting a paper to today's list, and the admin pages that moderate lists and users."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperwire.accounts.service import AccountError, list_users, set_disabled
from paperwire.daily.submit import SubmitError, arxiv_fetcher, recent_submissions, set_hidden, submit_paper
from paperwire.web.deps import AdminUser, CurrentUser, RowId, SessionDep, SettingsDep, render
from paperwire.web.listing import forget_latest_day

router = APIRouter(include_in_schema=False)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@router.get("/submit", name="submit_form")
def submit_form(request: Request, user: CurrentUser) -> Response:
    return render(request, "submit.html", value="")


@router.post("/submit", name="submit")
def submit(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    paper: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        entry = submit_paper(db, user, paper, today=today(), fetch=arxiv_fetcher(settings))
    except SubmitError as exc:
        return render(request, "submit.html", 400, error=str(exc), value=paper)
    forget_latest_day(request)
    arxiv_id = entry.paper.arxiv_id
    return RedirectResponse(f"/papers/{arxiv_id}", 303)


@router.get("/admin", name="admin_page")
def admin_page(
    request: Request,
    db: SessionDep,
    admin: AdminUser,
    p: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    users, total = list_users(db, limit=100, offset=p * 100)
    return render(request, "admin.html", users=users, total=total, page=p, recent=recent_submissions(db))


@router.post("/admin/entries/{entry_id}/hide", name="admin_hide")
def admin_hide(
    request: Request,
    db: SessionDep,
    admin: AdminUser,
    entry_id: RowId,
    hidden: Annotated[bool, Form()] = True,
) -> Response:
    set_hidden(db, entry_id, hidden)
    forget_latest_day(request)
    return RedirectResponse("/admin", 303)


@router.post("/admin/users/{user_id}/disable", name="admin_disable")
def admin_disable(
    db: SessionDep,
    admin: AdminUser,
    user_id: RowId,
    disabled: Annotated[bool, Form()] = True,
) -> Response:
    if user_id == admin.id:
        raise AccountError("you cannot disable your own account")
    set_disabled(db, user_id, disabled)
    return RedirectResponse("/admin", 303)
