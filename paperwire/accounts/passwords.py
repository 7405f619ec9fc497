"""Password hashing with argon2id; only the encoded hash (salt and parameters inside) is ever stored."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

MIN_LENGTH = 8
MAX_LENGTH = 1024


class WeakPassword(ValueError):
    pass


def check_strength(password: str) -> None:
    """Refuse passwords too short to resist guessing, or so long that hashing them is a DoS vector."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"password must be at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing or malformed hash simply never matches."""
    try:
        if not password_hash:  # as slow as a real check: timing must not tell which accounts exist
            _hasher.verify(_unmatchable_hash(), password)
            return False
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _unmatchable_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(32))


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
