"""Secrets handed to users: random tokens stored only as hashes, and signed, expiring email links.

Email links are stateless (itsdangerous): a verification link signs the user id and address, a reset
link also signs a fingerprint of the current password hash, so it stops working once it has been used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class InvalidToken(ValueError):
    pass


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """SHA-256 is enough here: the tokens are long random strings, not guessable passwords."""
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprint(value: str | None) -> str:
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


def sign(secret: str, purpose: str, payload: dict[str, Any]) -> str:
    return URLSafeTimedSerializer(secret, salt=f"paperwire.{purpose}").dumps(payload)


def unsign(secret: str, purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """The payload of a link made by ``sign`` for the same purpose, if not older than ``max_age`` seconds."""
    if not token or len(token) > 4096:
        raise InvalidToken("the link is malformed")
    try:
        payload = URLSafeTimedSerializer(secret, salt=f"paperwire.{purpose}").loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidToken("the link has expired; ask for a new one") from exc
    except BadSignature as exc:
        raise InvalidToken("the link is invalid") from exc
    if not isinstance(payload, dict):
        raise InvalidToken("the link is invalid")
    return payload


def csrf_token(secret: str, seed: str, session: str = "") -> str:
    """The form token for a browser's CSRF seed cookie and, once signed in, its session cookie: a forged
    page can read neither, and a token paired with a seed an attacker planted is worthless for the
    victim's session (it changes at sign-in, as the session does)."""
    return hmac.new(secret.encode(), f"csrf:{seed}:{session}".encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
