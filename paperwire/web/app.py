"""The app factory: settings in, a FastAPI app out; nothing is built at import time.

The routers are listed in ``ROUTERS``. Errors are mapped in
one place (here): under ``/api/`` to JSON ``{"ok": false, "error": ..., "status": N}``, elsewhere to
``templates/{status}.html`` or ``templates/error.html``. Nobody ever sees a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import TemplateNotFound
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperwire import __version__
from paperwire.accounts.ratelimit import RateLimited
from paperwire.config import Settings
from paperwire.db.session import make_engine, make_sessionmaker
from paperwire.digest.schedule import run_schedule
from paperwire.web.deps import SignInRequired, templates, verify_csrf
from paperwire.web.errors import DOMAIN_ERRORS, status_for
from paperwire.web.metrics import MetricsMiddleware
from paperwire.web.middleware import SECURITY_HEADERS, CsrfCookieMiddleware, SecurityHeadersMiddleware
from paperwire.web.openapi import readable_summaries
from paperwire.web.pagecache import PageCache
from paperwire.web.routes import (
    accounts,
    api,
    compare,
    digest,
    feeds,
    health,
    library,
    pages,
    search,
    status,
    submit,
    votes,
)

log = logging.getLogger("paperwire.web")
# Every router, tried in this order, every route of each: the hottest pages first (pages, search, api:
# a paper page used to try 80 routes before its own). None of their paths (/, /about, /papers...,
# /search, /api/daily_papers, /api/papers/...) is one another router answers, so the order changes no
# route's meaning. A new router is added here.
ROUTERS = (
    pages.router,
    search.router,
    api.router,
    accounts.router,
    digest.router,
    feeds.router,
    library.router,
    submit.router,
    votes.router,
    status.router,
    compare.router,
    health.router,
)
STATIC = Path(__file__).with_name("static")
SWAGGER_UI = "/static/swagger-ui-5.35.0"  # vendored from npm's swagger-ui-dist (Apache-2.0)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs the digest schedule beside the web app when PAPERWIRE_DIGEST_SCHEDULE is on.

    Several workers may each run it: sending is exactly-once per subscriber and period anyway.
    """
    settings: Settings = app.state.settings
    if not settings.digest_schedule:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_schedule(app.state.engine, settings, stop))
    try:
        yield
    finally:
        stop.set()
        await task


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="paperwire",
        version=__version__,
        description="Daily papers, trending, search and paper pages; JSON shaped like Hugging Face's Papers API.",
        dependencies=[Depends(verify_csrf)],
        docs_url=None,  # FastAPI's Swagger UI loads from a CDN, which a self-hosted instance may not reach:
        redoc_url=None,  # /docs below serves the same UI from vendored files
    )
    # As many connections as the threadpool has threads (40), so a thread never waits for one. Most
    # requests run on one page thread: last-in-first-out reuses the same few connections (and their
    # SQLite page caches, 8 MiB each) instead of growing all forty in turn (a worker grew 290 -> 770 MB).
    engine = make_engine(
        settings.db_url,
        pool_size=settings.web_db_pool_size,
        max_overflow=settings.web_db_pool_size,
        pool_timeout=60,
        pool_use_lifo=True,
        sqlite_cache_mib=8,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.search = None
    app.state.page_cache = PageCache(settings.web_cache_seconds)
    settings.secret()
    app.add_middleware(CsrfCookieMiddleware, secure=settings.base_url.startswith("https://"))
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    readable_summaries(app)
    _install_error_handlers(app)

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """FastAPI's own page starts Swagger UI with an inline script, which the CSP refuses."""
        context = {"openapi_url": app.openapi_url or "/openapi.json", "swagger_ui": SWAGGER_UI}
        return templates.TemplateResponse(request, "docs.html", context)

    return app


def wants_json(request: Request) -> bool:
    """API paths, and the page's own scripts (which ask for JSON), get JSON errors."""
    path = request.url.path
    return path.startswith("/api/") or request.headers.get("accept", "").startswith("application/json")


def error_response(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": False, "error": message, "status": status}, status_code=status)
    context: dict[str, Any] = {"status": status, "message": message}
    for name in (f"{status}.html", "error.html"):
        try:
            return templates.TemplateResponse(request, name, context, status_code=status)
        except TemplateNotFound:
            continue
    return Response(message, status_code=status, media_type="text/plain")


def _validation_message(exc: RequestValidationError) -> str:
    """One readable line: which parameter, and what is wrong with it."""
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path", "form"))
        parts.append(f"{where or 'request'}: {error.get('msg', 'invalid value')}")
    return "invalid input: " + "; ".join(parts)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = error_response(request, exc.status_code, str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, _validation_message(exc))

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        if wants_json(request):
            response = error_response(
                request, 401, "sign in first (API clients: Authorization: Bearer TOKEN)"
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:  # a form posted by a signed-out visitor (an upvote button): come back to the page it was on
            referer = urlsplit(request.headers.get("referer", ""))
            same_site = referer.netloc in ("", request.url.netloc) and referer.path.startswith("/")
            target = referer.path if same_site else "/papers"
            if request.url.path.endswith("/upvote"):  # say why the sign-in page appeared
                return RedirectResponse("/signin?" + urlencode({"next": target, "done": "vote"}), 303)
        return RedirectResponse("/signin?" + urlencode({"next": target}), 303)

    async def domain_error(request: Request, exc: Exception) -> Response:
        response = error_response(request, status_for(exc), str(exc))
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    for kind in DOMAIN_ERRORS:
        app.add_exception_handler(kind, domain_error)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = error_response(request, 500, "something went wrong on our side; it has been logged")
        response.headers.update(SECURITY_HEADERS)  # this handler answers outside the middleware
        return response
