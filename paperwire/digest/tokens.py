"""Signed, expiring tokens for the links in digest emails (confirm, unsubscribe, manage preferences).

Stateless (itsdangerous, keyed by ``settings.secret()``), one salt per purpose so a manage token can
never be replayed as a confirmation. A confirmation token also carries the subscription's current
nonce, which confirming clears: each confirmation link works once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from paperwire.config import Settings
from paperwire.digest.models import Subscription

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
MANAGE = "manage"


class TokenError(ValueError):
    """The link is broken, was signed with another key, or has expired."""


def _serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret(), salt=f"paperwire.digest.{purpose}")


def make_token(settings: Settings, purpose: str, payload: dict[str, Any]) -> str:
    return str(_serializer(settings, purpose).dumps(payload))


def max_age_seconds(settings: Settings, purpose: str) -> int:
    if purpose == CONFIRM:
        return settings.digest_confirm_max_age_hours * 3600
    return settings.digest_link_max_age_days * 86400


def read_token(settings: Settings, purpose: str, token: str) -> dict[str, Any]:
    try:
        payload = _serializer(settings, purpose).loads(token, max_age=max_age_seconds(settings, purpose))
    except SignatureExpired as exc:
        raise TokenError("this link has expired") from exc
    except BadSignature as exc:
        raise TokenError("this link is not valid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise TokenError("this link is not valid")
    return payload


# A confirmation link may carry the preferences asked for (compressed); mail clients and servers
# handle URLs this long, and the route accepts tokens up to this size.
MAX_CONFIRM_URL = 6000


def confirm_token(settings: Settings, sub: Subscription, requested: dict[str, Any] | None = None) -> str:
    payload: dict[str, Any] = {"s": sub.id, "n": sub.confirm_nonce}
    if requested is not None:
        payload["p"] = requested
    return make_token(settings, CONFIRM, payload)


def unsubscribe_token(settings: Settings, sub: Subscription) -> str:
    return make_token(settings, UNSUBSCRIBE, {"s": sub.id})


def manage_token(settings: Settings, sub: Subscription) -> str:
    return make_token(settings, MANAGE, {"s": sub.id})


@dataclass(frozen=True)
class Links:
    """The absolute URLs an email about this subscription carries."""

    unsubscribe: str
    manage: str

    @classmethod
    def for_subscription(cls, settings: Settings, sub: Subscription) -> Links:
        base = settings.base_url.rstrip("/")
        return cls(
            unsubscribe=f"{base}/digest/unsubscribe/{unsubscribe_token(settings, sub)}",
            manage=f"{base}/digest/manage/{manage_token(settings, sub)}",
        )


def confirm_url(settings: Settings, sub: Subscription, requested: dict[str, Any] | None = None) -> str:
    return f"{settings.base_url.rstrip('/')}/digest/confirm/{confirm_token(settings, sub, requested)}"
