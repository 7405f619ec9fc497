"""Domain errors the services raise, and the HTTP status each one means; ``app.py`` maps them in one place."""

from __future__ import annotations

from paperwire.accounts.ratelimit import RateLimited
from paperwire.accounts.service import AccountError, BadCredentials, EmailTaken
from paperwire.accounts.tokens import InvalidToken
from paperwire.daily.periods import BadPeriod
from paperwire.daily.submit import AlreadySubmitted, NotFoundOnArxiv, SubmitError, TooOld
from paperwire.daily.votes import NotListed, UnknownPaper, VoteConflict
from paperwire.digest.tokens import TokenError
from paperwire.library.errors import LibraryError, NotFound
from paperwire.papers.ids import InvalidArxivId

# Most specific first: the first class an error is an instance of decides its status.
DOMAIN_ERRORS: dict[type[Exception], int] = {
    RateLimited: 429,
    EmailTaken: 409,
    BadCredentials: 401,
    AccountError: 400,
    InvalidToken: 400,
    BadPeriod: 422,
    AlreadySubmitted: 409,
    TooOld: 422,
    NotFoundOnArxiv: 404,
    SubmitError: 400,
    NotListed: 409,
    VoteConflict: 409,
    UnknownPaper: 404,
    InvalidArxivId: 422,
    TokenError: 400,  # a digest link that is broken, expired or for a subscription gone
    NotFound: 404,  # the library's: an unknown tag, saved search, follow or paper
    LibraryError: 400,
}


def status_for(exc: Exception) -> int:
    for kind, status in DOMAIN_ERRORS.items():
        if isinstance(exc, kind):
            return status
    return 500
