"""The status report on real listings and lists: per-source runs, day counts, gaps, index lag, staleness."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, update

from paperwire.cli import cli
from paperwire.config import Settings, load_settings
from paperwire.db.models import IngestRun
from paperwire.ingest.runner import run_ingest
from paperwire.status import Day, find_gaps, status_report
from paperwire.status.calendar import expected_empty

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LISTINGS = sorted(str(p) for p in (FIXTURES / "arxiv_daily").glob("*.jsonl.gz"))
HF_DAY = str(FIXTURES / "hf_daily" / "2026-08-21.json")


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    result = load_settings(data_dir=tmp_path / "data", database_url=engine.url.render_as_string(False))
    run_ingest(engine, "arxiv-daily", LISTINGS, result)
    run_ingest(engine, "hf-daily", [HF_DAY], result)
    return result


def test_each_source_reports_its_last_run_and_newest_data(engine: Engine, settings: Settings) -> None:
    report = status_report(engine, settings)
    by_source = {s.source: s for s in report.sources}
    listing, hf = by_source["arxiv-daily"], by_source["hf-daily"]
    assert listing.last_run is not None and hf.last_run is not None
    distinct_ids = {json.loads(line)["id"] for path in LISTINGS for line in _lines(path)}
    assert listing.last_run.papers == len(distinct_ids)
    hf_items = json.loads(Path(HF_DAY).read_text())
    assert hf.last_run.papers == len({item["paper"]["id"] for item in hf_items})
    assert hf.last_run.list_entries == len(hf_items)
    assert hf.newest_list_day == dt.date(2026, 8, 21)
    assert listing.newest_list_day is None and listing.newest_paper is not None
    assert by_source["csv"].last_run is None and not by_source["csv"].stale
    assert report.stale_sources == []
    # Nothing is indexed yet: every paper waits for keyword search, and there is no vector index.
    total = sum(d.papers for d in report.days)
    assert report.index["keyword"] >= total > 0
    assert report.index["vectors"] is None


def _lines(path: str) -> list[str]:
    import gzip

    with gzip.open(path, "rt") as fh:
        return [line for line in fh if line.strip()]


def test_a_source_without_a_good_run_in_time_is_stale_and_the_command_exits_4(
    engine: Engine, settings: Settings
) -> None:
    runs = IngestRun.__table__
    with engine.begin() as conn:
        conn.execute(
            update(runs).where(runs.c.source == "hf-daily").values(finished_at=dt.datetime(2026, 1, 1))
        )
    args = ["--db", settings.db_url, "--data-dir", str(settings.data_dir), "status", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 4, result.output
    data = json.loads(result.stdout)
    assert data["stale_sources"] == ["hf-daily"]
    assert "Stale: hf-daily" in result.stderr
    fresh = CliRunner().invoke(cli, [*args, "--stale-hours", str(24 * 365 * 10)])
    assert fresh.exit_code == 0, fresh.output
    table = CliRunner().invoke(cli, [*args[:-1], "--stale-hours", str(24 * 365 * 10)])
    assert table.exit_code == 0 and "hf-daily" in table.stdout and "Gaps" in table.stdout


def test_a_run_that_never_finished_well_is_stale(engine: Engine, settings: Settings) -> None:
    runs = IngestRun.__table__
    with engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.source == "arxiv-daily").values(status="failed"))
    report = status_report(engine, settings)
    assert report.stale_sources == ["arxiv-daily"]


def _days(start: dt.date, papers: list[int], entries: list[int]) -> list[Day]:
    days = []
    for i, (p, e) in enumerate(zip(papers, entries, strict=True)):
        day = start + dt.timedelta(days=i)
        days.append(Day(day, p, e, e * 3, expected_empty(day)))
    return days


def test_gaps_are_missing_lists_and_thin_days_but_never_weekends() -> None:
    monday = dt.date(2026, 3, 2)
    # Four weeks of Monday-Friday listings with lists, weekends empty.
    papers = [100, 100, 100, 100, 100, 0, 0] * 4
    entries = [10, 10, 10, 10, 10, 0, 0] * 4
    papers[9] = 20  # the second Wednesday is thin
    entries[15] = 0  # the third Tuesday has a listing but no community list
    gaps = find_gaps(_days(monday, papers, entries))
    assert [(g.day, g.kind) for g in gaps] == [
        (dt.date(2026, 3, 11), "low"),
        (dt.date(2026, 3, 17), "no-list"),
    ]
    assert "a usual Wednesday has 100" in gaps[0].detail


def test_a_store_with_listings_alone_reports_no_missing_lists() -> None:
    days = _days(dt.date(2026, 3, 2), [100, 100, 100, 100, 100, 0, 0] * 3, [0] * 21)
    assert find_gaps(days) == []


def test_days_before_the_first_paper_are_not_thin() -> None:
    papers = [0] * 14 + [100, 100, 100, 100, 100, 0, 0] * 3
    assert find_gaps(_days(dt.date(2026, 3, 2), papers, [0] * 35)) == []


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (dt.date(2026, 3, 7), "weekend"),
        (dt.date(2026, 11, 26), "Thanksgiving"),
        (dt.date(2025, 12, 25), "Christmas"),
        (dt.date(2027, 1, 1), "New Year"),
        (dt.date(2026, 3, 9), None),
    ],
)
def test_expected_empty_days_say_why(day: dt.date, reason: str | None) -> None:
    found = expected_empty(day)
    assert (found is None) if reason is None else (reason in (found or ""))
