"""Which days an arXiv listing is expected to be empty, and why.

arXiv announces new submissions Monday to Friday and skips a few holidays each year (its schedule
names New Year's Day, US Thanksgiving and the days around Christmas). A status page that flagged those
days as gaps would cry wolf every week, so they are listed as expected instead.
"""

from __future__ import annotations

import datetime as dt


def _thanksgiving(year: int) -> dt.date:
    """The fourth Thursday of November."""
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)


def expected_empty(day: dt.date) -> str | None:
    """Why arXiv announces nothing on ``day``, or None when a listing is expected."""
    if day.weekday() >= 5:
        return "weekend: arXiv announces Monday to Friday"
    if (day.month, day.day) == (1, 1):
        return "New Year's Day: an arXiv holiday"
    if (day.month, day.day) in ((12, 24), (12, 25), (12, 31)):
        return "Christmas and year's end: arXiv holidays"
    if day == _thanksgiving(day.year):
        return "US Thanksgiving: an arXiv holiday"
    return None
