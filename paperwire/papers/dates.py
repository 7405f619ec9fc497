"""Dates as sources write them (ISO 8601, RFC 2822), reduced to calendar days in UTC."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime

# Papers, versions and list days all fall in this range; anything outside it is a broken record.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)
MAX_DATE_LENGTH = 64


def _to_day(text: str) -> dt.date:
    if text[:4].isdigit():
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return stamp.astimezone(dt.UTC).date() if stamp.tzinfo else stamp.date()
    try:
        return parsedate_to_datetime(text).astimezone(dt.UTC).date()
    except (TypeError, ValueError, IndexError):
        raise ValueError("not a date") from None


def parse_day(value: object) -> dt.date | None:
    """Parse an ISO date or datetime, or an RFC 2822 date; None for empty; ValueError otherwise
    (also for a day outside EARLIEST..LATEST)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a date string, got {type(value).__name__}")
    shown = repr(value[:MAX_DATE_LENGTH]) + ("..." if len(value) > MAX_DATE_LENGTH else "")
    if len(value) > MAX_DATE_LENGTH:
        raise ValueError(f"not a date: {shown}")
    try:
        day = _to_day(value.strip())
    except OverflowError:
        raise ValueError(f"date out of range ({EARLIEST}..{LATEST}): {shown}") from None
    except ValueError:
        raise ValueError(f"not a date: {shown}") from None
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"date out of range ({EARLIEST}..{LATEST}): {shown}")
    return day
