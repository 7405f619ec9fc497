"""Hugging Face daily papers fetched from a real server on 127.0.0.1 replaying recorded responses.

The replayed bodies are the real saved ``/api/daily_papers`` responses in ``tests/fixtures/hf_daily``,
quirky ones included (``2024-12-11``: items as Python repr strings; ``2025-01-10``: wrapped).
Fetching a day must store exactly what ingesting the saved file stores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from replay_server import FIXTURES, ReplayServer, Reply, fixture
from sqlalchemy import Engine, select

from paperwire.cli import cli
from paperwire.config import Settings, load_settings
from paperwire.db.migrate import upgrade
from paperwire.db.models import DailyEntry
from paperwire.db.session import make_engine
from paperwire.db.stats import store_stats
from paperwire.ingest.hf_daily import read
from paperwire.ingest.inputs import InputError
from paperwire.ingest.runner import run_ingest
from paperwire.papers.record import Record, RecordError

PATH = "/api/daily_papers"
DAYS = ["2024-05-27", "2024-12-11", "2025-01-10"]


def day_reply(day: str) -> Reply:
    return Reply(body=fixture(f"hf_daily/{day}.json"), content_type="application/json")


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        for day in DAYS:
            replay.route(PATH, day_reply(day), date=day)
        replay.route(PATH, Reply(body=b"[]", content_type="application/json"))
        yield replay


def make_settings(server: ReplayServer, data_dir: Path) -> Settings:
    return load_settings(
        data_dir=data_dir, hf_api_url=server.url, request_interval=0.05, http_retries=2, http_timeout=5
    )


def counts(engine: Engine) -> tuple[int, int, list[tuple[str, str, int]]]:
    with engine.connect() as conn:
        entries = conn.execute(select(DailyEntry.paper_id, DailyEntry.day, DailyEntry.upvotes)).all()
    stats = store_stats(engine)
    return stats["papers"], stats["daily_entries"], sorted((str(p), str(d), u) for p, d, u in entries)


def test_fetched_days_store_what_the_saved_files_store(server: ReplayServer, tmp_path: Path) -> None:
    fetched = make_engine(f"sqlite:///{tmp_path / 'fetched.db'}")
    saved = make_engine(f"sqlite:///{tmp_path / 'saved.db'}")
    for engine in (fetched, saved):
        upgrade(engine)
    settings = make_settings(server, tmp_path)
    urls = [f"{server.url}{PATH}?date={day}" for day in DAYS]
    summary = run_ingest(fetched, "hf-daily", urls, settings)
    run_ingest(saved, "hf-daily", [str(FIXTURES / "hf_daily" / f"{day}.json") for day in DAYS], settings)
    assert summary.errors == 0
    assert counts(fetched) == counts(saved)
    papers, entries, rows = counts(fetched)
    assert papers > 0
    assert entries == 13 + 26 + 9
    assert {day for _, day, _ in rows} == set(DAYS)
    assert [s.params for s in server.requests(PATH)] == [{"date": day} for day in DAYS]
    fetched.dispose()
    saved.dispose()


def test_a_date_range_is_one_request_per_day(server: ReplayServer, tmp_path: Path) -> None:
    settings = make_settings(server, tmp_path)
    items = list(read(["date:2024-05-26..2024-05-28"], settings, None))
    assert [s.params["date"] for s in server.requests(PATH)] == ["2024-05-26", "2024-05-27", "2024-05-28"]
    records = [item for item, _ in items if isinstance(item, Record)]
    assert len(records) == 13
    assert {r.listing.day.isoformat() for r in records if r.listing} == {"2024-05-27"}
    assert items[-1][1] == {"file": f"{server.url}{PATH}?date=2024-05-27", "item": 13}


def test_a_url_range_keeps_its_other_parameters(server: ReplayServer, tmp_path: Path) -> None:
    settings = make_settings(server, tmp_path)
    items = list(read([f"{server.url}{PATH}?limit=50&date=2025-01-09..2025-01-10"], settings, None))
    assert [s.params for s in server.requests(PATH)] == [
        {"limit": "50", "date": "2025-01-09"},
        {"limit": "50", "date": "2025-01-10"},
    ]
    assert len([item for item, _ in items if isinstance(item, Record)]) == 9


def test_a_resumed_range_continues_inside_its_day(server: ReplayServer, tmp_path: Path) -> None:
    settings = make_settings(server, tmp_path)
    cursor = {"file": f"{server.url}{PATH}?date=2024-05-27", "item": 10}
    items = list(read(["date:2024-05-26..2024-05-28"], settings, cursor))
    assert [s.params["date"] for s in server.requests(PATH)] == ["2024-05-27", "2024-05-28"]
    assert [c["item"] for _, c in items] == [11, 12, 13]


def test_files_and_urls_mix_in_one_run(server: ReplayServer, tmp_path: Path) -> None:
    settings = make_settings(server, tmp_path)
    saved = str(FIXTURES / "hf_daily" / "2024-05-27.json")
    items = list(read([saved, "date:2025-01-10"], settings, None))
    assert [c["file"] for _, c in items].count(saved) == 13
    assert len(items) == 13 + 9


def test_a_body_that_is_not_json_is_reported_and_skipped(server: ReplayServer, tmp_path: Path) -> None:
    server.route(PATH, Reply(body=b"<html>busy</html>", content_type="text/html"), date="2024-05-28")
    items = list(read(["date:2024-05-27..2024-05-28"], make_settings(server, tmp_path), None))
    errors = [item for item, _ in items if isinstance(item, RecordError)]
    assert len(items) == 14
    assert len(errors) == 1
    assert errors[0].where == f"{server.url}{PATH}?date=2024-05-28"
    assert "invalid JSON" in errors[0].reason


def test_429_is_waited_out(server: ReplayServer, tmp_path: Path) -> None:
    server.route(PATH, Reply(429, headers={"Retry-After": "0.2"}), day_reply("2024-05-27"), date="2024-05-27")
    items = list(read(["date:2024-05-27"], make_settings(server, tmp_path), None))
    assert len(items) == 13
    first, second = server.requests(PATH)
    assert second.at - first.at >= 0.19


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("date:2024-05-28..2024-05-27", "the range must run forward"),
        ("date:yesterday", "expected a date YYYY-MM-DD or a range FROM..TO"),
        ("https://huggingface.co/api/daily_papers?date=2024-13-01", "expected a date"),
    ],
)
def test_bad_dates_are_explained(target: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        list(read([target], load_settings(), None))


def test_cli_fetches_then_rerun_adds_nothing(server: ReplayServer, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {
        "PAPERWIRE_HF_API_URL": server.url,
        "PAPERWIRE_REQUEST_INTERVAL": "0.05",
        "PAPERWIRE_DATABASE_URL": None,
    }
    base = ["--data-dir", str(tmp_path)]
    target = f"{server.url}{PATH}?date=2024-12-11"
    first = runner.invoke(cli, [*base, "ingest", "hf-daily", target, "--json", "-q"], env=env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout.splitlines()[-1])["papers_new"] == 26
    second = runner.invoke(cli, [*base, "ingest", "hf-daily", "date:2024-12-11", "--json", "-q"], env=env)
    summary = json.loads(second.stdout.splitlines()[-1])
    assert (summary["read"], summary["papers_new"], summary["daily_new"]) == (26, 0, 0)
    stats = json.loads(runner.invoke(cli, [*base, "stats", "--json"], env=env).stdout)
    assert (stats["papers"], stats["daily_entries"]) == (26, 26)


def test_cli_reports_an_http_error_in_one_line(server: ReplayServer, tmp_path: Path) -> None:
    server.route(PATH, Reply(404, b'{"error":"not found"}', "application/json"), date="2030-01-01")
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(tmp_path), "ingest", "hf-daily", f"{server.url}{PATH}?date=2030-01-01", "-q"],
        env={"PAPERWIRE_REQUEST_INTERVAL": "0.05", "PAPERWIRE_DATABASE_URL": None},
    )
    assert result.exit_code == 1
    assert result.output == f"Error: {server.url}{PATH}?date=2030-01-01: HTTP 404 Not Found\n"
