"""The time as the store keeps it: naive UTC (its DateTime columns carry no zone on either backend)."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
