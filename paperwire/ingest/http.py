"""A polite HTTP client for the network sources: one request per interval, retries that back off.

arXiv asks harvesters for one request every 3 seconds and answers overload with ``503`` plus
``Retry-After``; Hugging Face uses ``429`` the same way. Every source fetches through one
``PoliteClient`` so the rules hold everywhere:

- at least ``interval`` seconds between the starts of two requests (retries included);
- ``503``/``429`` with ``Retry-After`` (seconds or an HTTP date) waits that long, capped at
  ``MAX_RETRY_AFTER``;
- connection errors, timeouts and other 5xx are retried with exponential backoff (tenacity);
- each wait before a retry is logged (one line: the URL, what failed, how long until which retry);
- after ``retries`` failed retries, or on any other 4xx, a one-line ``HttpError``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Collection, Mapping
from email.utils import parsedate_to_datetime
from types import TracebackType

import httpx
import tenacity

from paperwire import __version__
from paperwire.config import Settings
from paperwire.ingest.inputs import InputError

USER_AGENT = f"paperwire/{__version__} (self-hosted research-paper discovery)"
MAX_RETRY_AFTER = 600.0  # seconds; a server asking for longer means "come back later", not "wait"
RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})
log = logging.getLogger(__name__)


class HttpError(InputError):
    """A source could not be fetched: the one line says which URL and why."""


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent or bad."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


class PoliteClient:
    """GET with a minimum interval between requests and bounded, backed-off retries."""

    def __init__(
        self,
        *,
        interval: float,
        timeout: float,
        retries: int,
        backoff: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval = interval
        self.retries = retries
        self.backoff = backoff if backoff is not None else max(interval, 1.0)
        self._sleep = sleep
        self._last_start: float | None = None
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> PoliteClient:
        return cls(
            interval=settings.request_interval, timeout=settings.http_timeout, retries=settings.http_retries
        )

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _wait_turn(self) -> None:
        if self._last_start is not None:
            remaining = self._last_start + self.interval - time.monotonic()
            if remaining > 0:
                self._sleep(remaining)
        self._last_start = time.monotonic()

    def get(
        self, url: str, params: Mapping[str, str] | None = None, *, allow: Collection[int] = ()
    ) -> httpx.Response:
        """The 2xx (or ``allow``-ed) response, after waiting our turn and retrying what is worth retrying.

        ``allow`` names error statuses whose body the caller reads itself (OAI-PMH error documents).
        """
        shown = str(httpx.URL(url).copy_merge_params(params)) if params else url
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=tenacity.stop_after_attempt(self.retries + 1),
            wait=self._delay,
            sleep=self._sleep,
            before_sleep=lambda state: self._log_wait(state, shown),
            reraise=True,
        )
        try:
            return retrying(self._attempt, url, params, allow, shown)
        except _Retryable as exc:
            attempts = retrying.statistics["attempt_number"]
            raise HttpError(f"{shown}: {exc} (gave up after {attempts} attempts)") from None

    def _attempt(
        self, url: str, params: Mapping[str, str] | None, allow: Collection[int], shown: str
    ) -> httpx.Response:
        """One request, in its turn; raises ``_Retryable`` for what is worth trying again."""
        self._wait_turn()
        try:
            response = self._client.get(url, params=params)
        except httpx.InvalidURL as exc:
            raise HttpError(f"{shown}: invalid URL: {exc}") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
        if response.is_success or response.status_code in allow:
            return response
        problem = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        if response.status_code not in RETRIED_STATUS:
            raise HttpError(f"{shown}: {problem}{_detail(response)}")
        asked = retry_after(response.headers.get("Retry-After"))
        if asked is not None and asked > MAX_RETRY_AFTER:
            raise HttpError(f"{shown}: {problem}, server asks to retry after {asked:.0f} s")
        raise _Retryable(problem, asked)

    def _log_wait(self, state: tenacity.RetryCallState, shown: str) -> None:
        """One line per wait, so a run that waits on the network says on what and for how long."""
        failure = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(
            "%s: %s; retry %d of %d in %.0f s", shown, failure, state.attempt_number, self.retries, delay
        )

    def _delay(self, state: tenacity.RetryCallState) -> float:
        """What the server asked for (``Retry-After``), else exponential backoff from ``backoff``."""
        failure = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failure, _Retryable) and failure.asked is not None:
            return failure.asked
        return float(self.backoff * 2 ** (state.attempt_number - 1))


class _Retryable(Exception):
    """A failed attempt worth repeating, and the wait the server asked for, if it did."""

    def __init__(self, problem: str, asked: float | None = None):
        super().__init__(problem)
        self.asked = asked


def _detail(response: httpx.Response) -> str:
    """The start of a short plain-text error body, which often says what was wrong with the request."""
    kind = response.headers.get("Content-Type", "")
    text = " ".join(response.text.split()) if kind.startswith("text/plain") else ""
    return f": {text[:200]}" if text else ""
