"""ISO weeks and months: parsing, neighbours and the ranked lists."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.daily.daily import adjacent_days
from paperwire.daily.periods import (
    BadPeriod,
    parse_month,
    parse_week,
    period_list,
    shift_month,
    shift_week,
    week_label,
)


def test_parse_week_and_month() -> None:
    week = parse_week("2026-W01")
    assert (week.start, week.end) == (dt.date(2025, 12, 29), dt.date(2026, 1, 4))
    month = parse_month("2024-02")
    assert (month.start, month.end, month.days) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29), 29)
    assert parse_month("2026-12").end == dt.date(2026, 12, 31)
    assert week_label(dt.date(2026, 8, 21)) == "2026-W34"
    assert shift_week(parse_week("2026-W53"), 1) == "2027-W01"
    assert shift_month(parse_month("2026-12"), 1) == "2027-01"
    assert shift_month(parse_month("2026-01"), -1) == "2025-12"
    # The calendar's ends are valid periods without a neighbour beyond them.
    assert parse_week("9999-W52").end == dt.date(9999, 12, 31)
    assert shift_week(parse_week("9999-W52"), 1) is None and shift_week(parse_week("0001-W01"), -1) is None
    assert shift_month(parse_month("9999-12"), 1) is None and shift_month(parse_month("0001-01"), -1) is None
    assert week_label(dt.date(1, 1, 8)) == "0001-W02"


@pytest.mark.parametrize(
    "text", ["2026-W54", "2025-W53", "2026W01", "2026-W1", "", "2026-00", "2026-13", "0000-01"]
)
def test_bad_periods(text: str) -> None:
    with pytest.raises(BadPeriod):
        (parse_week if "W" in text else parse_month)(text)


def test_period_lists_rank_by_upvotes_and_count_each_paper_once(listed: Engine) -> None:
    with Session(listed) as db:
        august = period_list(db, parse_month("2026-08"))
        assert [lp.paper.arxiv_id for lp in august][:3] == ["2608.19880", "2608.18580", "2608.20335"]
        assert len({lp.paper.id for lp in august}) == len(august) == 17
        assert [lp.entry.upvotes for lp in august] == sorted(
            (lp.entry.upvotes for lp in august), reverse=True
        )
        assert period_list(db, parse_week("2026-W34"), limit=2, offset=1)[0].paper.arxiv_id == "2608.18580"
        assert period_list(db, parse_month("2026-07")) == []
        before, after = adjacent_days(db, dt.date(2026, 1, 1))
        assert before == dt.date(2025, 1, 10) and after == dt.date(2026, 8, 21)
