"""A browser without JavaScript for HTTP-level tests: keeps cookies, reads the page's CSRF token, posts forms.

Works on the in-process ``TestClient`` and on an ``httpx.Client`` pointed at a live server alike (the
former is a subclass of the latter), so security and concurrency tests speak to the app exactly as a
browser's plain HTML forms do.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
SESSION_COOKIE = "pw_session"
CSRF_COOKIE = "pw_csrf"


class WebClient:
    def __init__(self, client: httpx.Client):
        self.http = client
        self._csrf: tuple[tuple[tuple[str, str, str], ...], str] | None = None

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("follow_redirects", False)
        return self.http.get(path, **kwargs)

    def csrf(self) -> str:
        """The token the site's own pages embed for this browser (its CSRF seed cookie is set on first visit).

        It is bound to the session too, so it is fetched again once the seed or session cookie changed."""
        if self._csrf is None or self._csrf[0] != self._csrf_cookies():
            page = self.get("/about")
            match = CSRF_META.search(page.text)
            assert match, f"no CSRF meta tag on /about ({page.status_code})"
            self._csrf = (self._csrf_cookies(), match.group(1))
        return self._csrf[1]

    def _csrf_cookies(self) -> tuple[tuple[str, str, str], ...]:
        names = (CSRF_COOKIE, SESSION_COOKIE)
        return tuple(
            sorted((c.name, c.domain, c.value or "") for c in self.http.cookies.jar if c.name in names)
        )

    def post_form(
        self, path: str, data: dict[str, str], *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        kwargs.setdefault("follow_redirects", False)
        fields = {**data, "csrf_token": self.csrf()} if csrf else data
        return self.http.post(path, data=fields, **kwargs)

    def signup(self, email: str, password: str, display_name: str = "") -> httpx.Response:
        return self.post_form("/signup", {"email": email, "password": password, "display_name": display_name})

    def signin(self, email: str, password: str) -> httpx.Response:
        return self.post_form("/signin", {"email": email, "password": password, "next": "/account"})

    def open_link(self, url: str) -> httpx.Response:
        """Follow a link from an email (only its path and query: the host is this client's server)."""
        parts = urlsplit(url)
        return self.get(parts.path + (f"?{parts.query}" if parts.query else ""))

    def plant_cookie(self, name: str, value: str) -> None:
        """Set a cookie as the site itself would have (same domain), e.g. one an attacker managed to plant."""
        host = self.http.base_url.host
        self.http.cookies.set(name, value, domain=host if "." in host else f"{host}.local", path="/")

    @property
    def session_cookie(self) -> str | None:
        return self.http.cookies.get(SESSION_COOKIE)

    def signed_in_as(self) -> str | None:
        """The email the account page shows, or None when the site does not consider us signed in."""
        page = self.get("/account")
        if page.status_code != 200:
            return None
        match = re.search(r'<a href="[^"]*/account" title="([^"]+)"', page.text)
        return match.group(1) if match else None
