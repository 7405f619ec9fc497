"""The upvote button: a plain form POST that toggles, answered with JSON for the page's script."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from paperwire.daily.votes import toggle_vote
from paperwire.web.deps import CurrentUser, SessionDep
from paperwire.web.pagecache import forget_pages
from paperwire.web.routes.accounts import safe_next

router = APIRouter(include_in_schema=False)


@router.post("/papers/{arxiv_id:path}/upvote", name="upvote_form")
def upvote_form(
    request: Request,
    db: SessionDep,
    user: CurrentUser,
    arxiv_id: str,
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    result = toggle_vote(db, user.id, arxiv_id[:100])
    forget_pages(request)
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse(
            {"ok": True, "id": result.arxiv_id, "voted": result.voted, "upvotes": result.upvotes}
        )
    return RedirectResponse(safe_next(next or f"/papers/{result.arxiv_id}"), 303)
