"""Pure ASGI middlewares (cheaper than BaseHTTPMiddleware): the CSRF seed cookie and the security headers,
and the shape they share with ``metrics.MetricsMiddleware``."""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire.web.deps import CSRF_COOKIE


class HttpMiddleware(ABC):
    """Passes anything but HTTP (lifespan, websockets) straight through; ``handle`` sees each HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    @abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None: ...


def on_response_start(send: Send, hook: Callable[[Message], None]) -> Send:
    """``send`` that first shows ``hook`` the response's start message (its status; headers it may add)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            hook(message)
        await send(message)

    return wrapped


class CsrfCookieMiddleware(HttpMiddleware):
    """Gives every browser a CSRF seed cookie."""

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        super().__init__(app)
        self.secure = secure

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        seed = _cookie(scope, CSRF_COOKIE)
        fresh = not seed or len(seed) > 128
        if fresh:
            seed = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_seed"] = seed
        if not fresh:
            await self.app(scope, receive, send)
            return

        def set_cookie(message: Message) -> None:
            cookie = f"{CSRF_COOKIE}={seed}; Path=/; HttpOnly; SameSite=Lax"
            if self.secure:
                cookie += "; Secure"
            MutableHeaders(scope=message).append("set-cookie", cookie)

        await self.app(scope, receive, on_response_start(send, set_cookie))


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            return cookie_parser(value.decode("latin-1")).get(name)
    return None


# Scripts, styles, fonts and fetches only from this site (KaTeX and Swagger UI are served from /static);
# data: images for the SVG icons in Swagger UI's stylesheet. No page may be framed (clickjacking).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    # Full URLs only to this site (the sign-in redirect of a posted form reads it); other sites get nothing.
    "referrer-policy": "same-origin",
}


class SecurityHeadersMiddleware(HttpMiddleware):
    """Adds ``SECURITY_HEADERS`` to every response (pages, API, feeds, static files, errors)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, on_response_start(send, _add_security_headers))


def _add_security_headers(message: Message) -> None:
    headers = MutableHeaders(scope=message)
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
