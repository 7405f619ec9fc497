"""Accounts: sign-up, email verification, password reset, sign-in, roles and disabling.

Sign-in needs a verified email: the link proves the address belongs to the person, which is what makes
a password reset by email safe. Errors are ``AccountError`` with a message fit to show the user.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.accounts.passwords import (
    WeakPassword,
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from paperwire.accounts.sessions import end_all_sessions
from paperwire.accounts.tokens import InvalidToken, fingerprint, sign, unsign
from paperwire.config import Settings
from paperwire.mail.smtp import SmtpConfig, send

VERIFY_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600
ROLES = ("user", "admin")
# The practical subset of RFC 5322 that mail servers accept (no quoted local parts, comments or IP hosts).
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}"
)


class AccountError(ValueError):
    pass


class EmailTaken(AccountError):
    pass


class BadCredentials(AccountError):
    pass


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(text: str) -> str:
    """Names users choose: no control characters (PostgreSQL refuses NUL; the rest garble pages and mail)."""
    return CONTROL.sub("", text).strip()


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or not EMAIL.fullmatch(email):
        raise AccountError("enter a valid email address, like ada@example.org")
    return email


def delete_unverified(db: Session, user_id: int) -> None:
    """Undo a sign-up whose confirmation email the mail server refused (the address cannot be confirmed)."""
    user = db.get(User, user_id)
    if user is not None and not user.email_verified:
        db.delete(user)
        db.commit()


def find_user(db: Session, email: str) -> User | None:
    return db.execute(select(User).where(User.email == email)).scalar_one_or_none()


def create_user(
    db: Session,
    email: str,
    password: str,
    *,
    display_name: str | None = None,
    role: str = "user",
    verified: bool = False,
) -> User:
    address = normalize_email(email)
    try:
        check_strength(password)
    except WeakPassword as exc:
        raise AccountError(str(exc)) from None
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    name = printable(display_name or "")[:80] or None
    password_hash = hash_password(password)  # first: a taken address must cost the same time as a new one
    if find_user(db, address) is not None:
        raise EmailTaken("an account with this email already exists; sign in or reset your password")
    user = User(
        email=address,
        password_hash=password_hash,
        display_name=name,
        role=role,
        email_verified=verified,
        disabled=False,
    )
    db.add(user)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise EmailTaken(
            "an account with this email already exists; sign in or reset your password"
        ) from None
    return user


def _link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def _mail(settings: Settings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    send(SmtpConfig.from_url(settings.smtp_url), message)


def verification_link(settings: Settings, user: User) -> str:
    return _link(
        settings, "/verify", sign(settings.secret(), "verify", {"uid": user.id, "email": user.email})
    )


def send_verification(settings: Settings, user: User) -> None:
    _mail(
        settings,
        user.email,
        "Confirm your paperwire account",
        f"Welcome to paperwire!\n\nConfirm your email address by opening this link (valid for 3 days):\n\n"
        f"{verification_link(settings, user)}\n\nIf you did not sign up, ignore this message.\n",
    )


def send_account_exists(settings: Settings, user: User) -> None:
    """Someone signed up with the address of an existing account: tell its owner, not the form."""
    if not user.email_verified:
        send_verification(settings, user)
        return
    base = settings.base_url.rstrip("/")
    _mail(
        settings,
        user.email,
        "Your paperwire account",
        "Someone (hopefully you) tried to sign up for paperwire with this address, which already has an "
        f"account.\n\nSign in here: {base}/signin\nForgot your password? Reset it here: {base}/forgot\n\n"
        "If it was not you, ignore this message; nothing has changed.\n",
    )


def _signed_user(
    db: Session, settings: Settings, purpose: str, token: str, max_age: int, failed: str
) -> tuple[User | None, dict[str, Any]]:
    """The account a mailed link's token names (None if it is gone) and the token's payload."""
    try:
        payload = unsign(settings.secret(), purpose, token, max_age)
    except InvalidToken as exc:
        raise AccountError(f"{failed}: {exc}") from None
    return db.get(User, payload.get("uid")), payload


def verify_email(db: Session, settings: Settings, token: str) -> User:
    user, payload = _signed_user(db, settings, "verify", token, VERIFY_MAX_AGE, "email confirmation failed")
    if user is None or user.email != payload.get("email"):
        raise AccountError("email confirmation failed: the link is invalid")
    if not user.email_verified:
        user.email_verified = True
        db.commit()
    return user


def reset_link(settings: Settings, user: User) -> str:
    payload = {"uid": user.id, "ph": fingerprint(user.password_hash)}
    return _link(settings, "/reset", sign(settings.secret(), "reset", payload))


def request_password_reset(db: Session, settings: Settings, email: str) -> None:
    """Mail a reset link if the account exists; say nothing either way (no account enumeration)."""
    try:
        address = normalize_email(email)
    except AccountError:
        return
    user = find_user(db, address)
    if user is None or user.disabled:
        return
    _mail(
        settings,
        user.email,
        "Reset your paperwire password",
        "Someone (hopefully you) asked to reset your paperwire password. Choose a new one here "
        f"(valid for one hour, once):\n\n{reset_link(settings, user)}\n\n"
        "If it was not you, ignore this message; your password stays as it is.\n",
    )


def check_reset_token(db: Session, settings: Settings, token: str) -> User:
    user, payload = _signed_user(db, settings, "reset", token, RESET_MAX_AGE, "password reset failed")
    if user is None or user.disabled or fingerprint(user.password_hash) != payload.get("ph"):
        raise AccountError("password reset failed: the link was already used or is invalid")
    return user


def reset_password(db: Session, settings: Settings, token: str, password: str) -> User:
    """Set a new password; the link stops working and every existing session is signed out."""
    user = check_reset_token(db, settings, token)
    try:
        check_strength(password)
    except WeakPassword as exc:
        raise AccountError(str(exc)) from None
    user.password_hash = hash_password(password)
    user.email_verified = True  # the link arrived by email, which proves the address
    end_all_sessions(db, user.id)
    db.commit()
    return user


def authenticate(db: Session, email: str, password: str) -> User:
    """The user with this email and password; one vague message for every failure but 'not verified'."""
    try:
        user = find_user(db, normalize_email(email))
    except AccountError:
        user = None
    # Checked (against an unmatchable hash) even without an account: unknown emails answer as slowly.
    if not verify_password(user.password_hash if user is not None else None, password[:2048]) or user is None:
        raise BadCredentials("wrong email or password")
    if user.disabled:
        raise BadCredentials("this account is disabled")
    if not user.email_verified:
        raise AccountError(
            "confirm your email first: open the link we mailed you (or ask for a new one below)"
        )
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.commit()
    return user


def set_role(db: Session, user_id: int, role: str) -> User:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    user = _get(db, user_id)
    user.role = role
    db.commit()
    return user


def set_disabled(db: Session, user_id: int, disabled: bool) -> User:
    """A disabled user is signed out everywhere and their API tokens stop working."""
    user = _get(db, user_id)
    user.disabled = disabled
    if disabled:
        end_all_sessions(db, user.id)
    db.commit()
    return user


def list_users(db: Session, limit: int = 200, offset: int = 0) -> tuple[list[User], int]:
    total = int(db.execute(select(func.count(User.id))).scalar_one())
    users = list(db.scalars(select(User).order_by(User.id.desc()).limit(limit).offset(offset)))
    return users, total


def _get(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise AccountError(f"no user {user_id}")
    return user
