"""Dates as sources write them (ISO 8601, RFC 2822), reduced to calendar days in UTC."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime


def parse_day(value: object) -> dt.date | None:
    """Parse an ISO date or datetime, or an RFC 2822 date; None for empty; ValueError otherwise."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a date string, got {type(value).__name__}")
    text = value.strip()
    if text[:4].isdigit():
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return stamp.astimezone(dt.UTC).date() if stamp.tzinfo else stamp.date()
    try:
        return parsedate_to_datetime(text).astimezone(dt.UTC).date()
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"not a date: {value!r}") from None
