"""Health checks for a load balancer: ``/healthz`` (the process answers) and ``/readyz`` (it can serve).

A node is ready when the store answers, its own indexes hold at least one committed batch and miss at most
``PAPERWIRE_READY_MAX_INDEX_LAG`` papers (so a new node takes traffic only once it can search), and
the embedding model has loaded (or the node has no vectors to search). ``index_lag`` counts papers in
the store not yet searchable through this node's own indexes; the SQL keyword fallback does not count.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from paperwire.db.cluster import store_error
from paperwire.web.searching import app_search

router = APIRouter(include_in_schema=False)
NO_CACHE = {"Cache-Control": "no-store"}


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"ok": True}, headers=NO_CACHE)


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    body: dict[str, Any] = {"ready": False, "store": "ok", "index_lag": None, "model": None}
    problem = store_error(request.app.state.engine)
    if problem is not None:
        body["store"] = problem
        return JSONResponse(body, status_code=503, headers=NO_CACHE)
    from paperwire.search import index_lag

    lag = index_lag(settings, request.app.state.engine)
    search = app_search(request.app)
    body.update(
        index_lag=lag.papers,
        keyword_lag=lag.keyword,
        vector_lag=lag.vectors,
        model="ready" if search.model_ready() else "loading",
    )
    body["ready"] = lag.indexed and lag.papers <= settings.ready_max_index_lag and body["model"] == "ready"
    return JSONResponse(body, status_code=200 if body["ready"] else 503, headers=NO_CACHE)
