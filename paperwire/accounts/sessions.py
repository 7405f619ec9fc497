"""Who is making a request: browser sign-in sessions and API bearer tokens, both stored only hashed."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from paperwire.accounts.models import ApiToken, User, WebSession
from paperwire.accounts.tokens import hash_token, new_token
from paperwire.clock import utcnow

CONTROL = re.compile(r"[\x00-\x1f\x7f]")

SESSION_LIFETIME = dt.timedelta(days=30)
TOKEN_PREFIX = "pw_"  # noqa: S105 (a public marker, not a secret)


def start_session(db: Session, user: User) -> str:
    """A new session (a new id every sign-in, against session fixation); returns the token for the cookie."""
    token = new_token()
    now = utcnow()
    db.add(
        WebSession(
            token_hash=hash_token(token), user_id=user.id, created_at=now, expires_at=now + SESSION_LIFETIME
        )
    )
    db.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at < now))
    return token


def end_session(db: Session, token: str) -> None:
    db.execute(delete(WebSession).where(WebSession.token_hash == hash_token(token)))


def end_all_sessions(db: Session, user_id: int) -> None:
    """After a password reset or when an admin disables the account."""
    db.execute(delete(WebSession).where(WebSession.user_id == user_id))


def user_for_session(db: Session, token: str) -> User | None:
    return db.execute(
        select(User)
        .join(WebSession, WebSession.user_id == User.id)
        .where(
            WebSession.token_hash == hash_token(token),
            WebSession.expires_at > utcnow(),
            User.disabled.is_(False),
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    token: str


def create_api_token(db: Session, user: User, name: str) -> IssuedToken:
    """The clear token is returned once, to show the user; only its hash is kept."""
    token = TOKEN_PREFIX + new_token()
    row = ApiToken(
        user_id=user.id,
        name=CONTROL.sub("", name).strip()[:100] or "token",
        prefix=token[:10],
        token_hash=hash_token(token),
        created_at=utcnow(),
    )
    db.add(row)
    db.flush()
    return IssuedToken(row.id, row.name, token)


def list_api_tokens(db: Session, user_id: int) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_api_token(db: Session, user_id: int, token_id: int) -> bool:
    """Only the owner's own token can be revoked: another user's id matches nothing."""
    result = db.execute(delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))


def user_for_api_token(db: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(token), User.disabled.is_(False))
    ).first()
    if row is None:
        return None
    api_token, user = row
    now = utcnow()
    if api_token.last_used_at is None or now - api_token.last_used_at > dt.timedelta(hours=1):
        db.execute(update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now))
        db.commit()
    return user
