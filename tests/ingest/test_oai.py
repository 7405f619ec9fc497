"""arXiv OAI-PMH harvesting against a real server on 127.0.0.1 replaying recorded arXiv responses.

``ListRecordsResponse.xml`` is a real first page (6 records, a resumption token); the second page is
the real ``GetRecordResponse.xml`` record served as the last ListRecords page. ``ListRecordsArXivFormat.xml``
holds real records from the snapshot fixture written in the ``arXiv`` format, plus a deleted one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from replay_server import ReplayServer, Reply, fixture
from sqlalchemy import Engine, select

from paperwire.cli import cli
from paperwire.config import Settings, load_settings
from paperwire.db.migrate import upgrade
from paperwire.db.models import HarvestState, Paper
from paperwire.db.session import make_engine
from paperwire.db.stats import store_stats
from paperwire.ingest.inputs import Cursor, InputError
from paperwire.ingest.oai import OaiError, parse_target, read
from paperwire.ingest.runner import run_ingest
from paperwire.papers.record import Record, RecordError

TOKEN = "726959|1001"
PAGE_ONE_IDS = ["0704.0471", "0704.0716", "0704.0874", "0704.1109", "0704.1114", "0704.1586"]
ALL_IDS = [*PAGE_ONE_IDS, "1302.2146"]


def last_page() -> bytes:
    """The real GetRecord response's record as the final page of a ListRecords harvest."""
    body = fixture("oai/GetRecordResponse.xml")
    body = body.replace(b"<GetRecord>", b"<ListRecords>")
    return body.replace(
        b"</GetRecord>", b'<resumptionToken cursor="1001" completeListSize="1002"/></ListRecords>'
    )


def error(name: str) -> Reply:
    return Reply(body=fixture(f"oai/ErrorResponse{name}.xml"))


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


def serve_harvest(server: ReplayServer) -> None:
    server.route("/oai", Reply(body=fixture("oai/ListRecordsResponse.xml")), verb="ListRecords")
    server.route("/oai", Reply(body=last_page()), verb="ListRecords", resumptionToken=TOKEN)


def make_settings(server: ReplayServer, tmp_path: Path, database_url: str | None = None) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        database_url=database_url,
        oai_url=f"{server.url}/oai",
        request_interval=0.05,
        http_retries=2,
        http_timeout=5,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "paperwire.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def oai_settings(server: ReplayServer, tmp_path: Path, migrated: Path) -> Settings:
    """Fast settings over a copy of a migrated SQLite store in ``tmp_path`` (where the harvest state lives)."""
    shutil.copy(migrated, tmp_path / "paperwire.db")
    return make_settings(server, tmp_path)


def ids(items: list[tuple[Record | RecordError, Cursor]]) -> list[str]:
    return [item.arxiv_id for item, _ in items if isinstance(item, Record)]


def test_a_harvest_follows_resumption_tokens_and_records_its_datestamp(
    server: ReplayServer, tmp_path: Path, engine: Engine, database_url: str
) -> None:
    serve_harvest(server)
    settings = make_settings(server, tmp_path, database_url)
    summary = run_ingest(engine, "arxiv-oai", ["default"], settings)
    assert (summary.read, summary.errors, summary.counts.papers_new) == (7, 0, 7)

    first, second = server.requests("/oai")
    assert first.params == {"verb": "ListRecords", "metadataPrefix": "arXivRaw"}
    assert second.params == {"verb": "ListRecords", "resumptionToken": TOKEN}
    with engine.connect() as conn:
        stored = {row.arxiv_id: row for row in conn.execute(select(Paper))}
    assert sorted(stored) == sorted(ALL_IDS)
    assert harvest_state(engine) == []  # moved there when the next harvest starts
    richard = stored["0704.0716"]
    assert richard.version == 4
    assert str(richard.published) == "2007-04-05"
    assert str(richard.updated) == "2008-11-14"
    assert richard.categories == ["math-ph", "math.MP"]
    assert stored["0704.0471"].authors == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    assert stored["1302.2146"].license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"

    # The next harvest is incremental: it starts at the stored datestamp, and an empty answer is clean.
    server.route("/oai", error("NoRecordsMatch"), verb="ListRecords", **{"from": "2014-12-22"})
    again = run_ingest(engine, "arxiv-oai", ["default"], settings)
    assert (again.read, again.errors, again.counts.papers_new) == (0, 0, 0)
    assert server.seen[-1].params == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "from": "2014-12-22",
    }
    assert store_stats(engine)["papers"] == 7
    assert harvest_state(engine) == [(f"{server.url}/oai arXivRaw", "2014-12-22")]


def harvest_state(engine: Engine) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(select(HarvestState.key, HarvestState.last_datestamp).order_by(HarvestState.key))
        return [(key, stamp) for key, stamp in rows]


def test_records_read_but_never_committed_do_not_advance_the_datestamp(
    server: ReplayServer, oai_settings: Settings
) -> None:
    """As if killed after the harvest's last page but before the runner stored the last batch."""
    serve_harvest(server)
    assert ids(list(read(["default"], oai_settings, None))) == ALL_IDS
    engine = make_engine(oai_settings.db_url)
    summary = run_ingest(engine, "arxiv-oai", ["default"], oai_settings)
    assert summary.counts.papers_new == 7
    assert "from" not in server.requests("/oai")[2].params
    engine.dispose()


def test_each_target_of_a_run_keeps_its_own_datestamp(server: ReplayServer, oai_settings: Settings) -> None:
    server.route("/oai", Reply(body=last_page()), set="physics:hep-ph")
    server.route("/oai", Reply(body=fixture("oai/ListRecordsArXivFormat.xml")), metadataPrefix="arXiv")
    engine = make_engine(oai_settings.db_url)
    targets = ["default?set=physics:hep-ph", "default?metadataPrefix=arXiv"]
    assert run_ingest(engine, "arxiv-oai", targets, oai_settings).counts.papers_new == 5
    server.route("/oai", error("NoRecordsMatch"))
    run_ingest(engine, "arxiv-oai", targets, oai_settings)
    assert [s.params.get("from") for s in server.requests("/oai")[2:]] == ["2013-04-03", "2010-03-18"]
    assert harvest_state(engine) == [
        (f"{server.url}/oai arXiv", "2010-03-18"),
        (f"{server.url}/oai arXivRaw physics:hep-ph", "2013-04-03"),
    ]
    engine.dispose()


def test_the_arxiv_format_with_author_parts_and_a_deleted_record(
    server: ReplayServer, oai_settings: Settings
) -> None:
    server.route("/oai", Reply(body=fixture("oai/ListRecordsArXivFormat.xml")), metadataPrefix="arXiv")
    items = list(read(["default?metadataPrefix=arXiv&set=physics&from=2008-01-01"], oai_settings, None))
    assert server.seen[0].params == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "set": "physics",
        "from": "2008-01-01",
    }
    records = [item for item, _ in items if isinstance(item, Record)]
    assert [r.arxiv_id for r in records] == ["0704.0001", "0704.0002", "0704.0003", "0704.0009"]
    first = records[0]
    assert first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert (str(first.published), str(first.updated)) == ("2007-04-02", "2007-07-24")
    assert first.doi == "10.1103/PhysRevD.76.013009"
    assert records[1].categories == ["math.CO", "cs.CG"]
    assert "Neal J. Evans II" in records[3].authors
    assert str(records[3].updated) == "2007-04-02"  # never revised: updated is the created day
    deleted = [item for item, _ in items if isinstance(item, RecordError)]
    assert len(deleted) == 1
    assert deleted[0].record_id == "oai:arXiv.org:0704.0005"
    assert "deleted" in deleted[0].reason


def test_no_records_match_ends_cleanly_and_keeps_no_datestamp(
    server: ReplayServer, tmp_path: Path, sqlite_engine: Engine
) -> None:
    server.route("/oai", error("NoRecordsMatch"))
    settings = make_settings(server, tmp_path)
    summary = run_ingest(sqlite_engine, "arxiv-oai", ["default?set=moo"], settings)
    assert (summary.read, summary.errors) == (0, 0)
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(HarvestState)).all() == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("BadArgument", "badArgument"),
        ("BadVerb", "badVerb"),
        ("IdDoesNotExist", "idDoesNotExist"),
        ("BadResumptionToken", "badResumptionToken"),
    ],
)
def test_protocol_errors_are_one_line_errors(
    server: ReplayServer, oai_settings: Settings, name: str, code: str
) -> None:
    server.route("/oai", error(name))
    with pytest.raises(OaiError) as caught:
        list(read(["default"], oai_settings, None))
    message = str(caught.value)
    assert f"OAI-PMH error {code}:" in message
    assert message.startswith(f"{server.url}/oai page 1: ")
    assert "\n" not in message


def test_a_bad_token_mid_harvest_is_an_error(server: ReplayServer, oai_settings: Settings) -> None:
    server.route("/oai", Reply(body=fixture("oai/ListRecordsResponse.xml")), verb="ListRecords")
    server.route("/oai", error("BadResumptionToken"), verb="ListRecords", resumptionToken=TOKEN)
    with pytest.raises(OaiError, match="page 2: OAI-PMH error badResumptionToken"):
        list(read(["default"], oai_settings, None))


def test_an_oai_error_sent_with_http_400_is_still_read(server: ReplayServer, oai_settings: Settings) -> None:
    server.route("/oai", Reply(400, fixture("oai/ErrorResponseNoRecordsMatch.xml")))
    assert list(read(["default"], oai_settings, None)) == []


def test_503_retry_after_then_harvest(server: ReplayServer, oai_settings: Settings) -> None:
    server.route(
        "/oai",
        Reply(503, b"Retry after 1 second", "text/plain", {"Retry-After": "1"}),
        Reply(body=last_page()),
    )
    items = list(read(["default"], oai_settings, None))
    assert ids(items) == ["1302.2146"]
    first, second = server.requests("/oai")
    assert second.at - first.at >= 0.95


def test_pages_are_requested_one_interval_apart(server: ReplayServer, oai_settings: Settings) -> None:
    serve_harvest(server)
    settings = oai_settings.model_copy(update={"request_interval": 0.3})
    assert ids(list(read(["default"], settings, None))) == ALL_IDS
    first, second = server.requests("/oai")
    assert second.at - first.at >= 0.25  # the client spaces request starts; arrivals may jitter


def test_a_killed_harvest_resumes_from_its_cursor(server: ReplayServer, oai_settings: Settings) -> None:
    serve_harvest(server)
    full = list(read(["default"], oai_settings, None))
    # Stopped after the 3rd record of page 1: the same first request is made again, 3 records skipped.
    rest = list(read(["default"], oai_settings, full[2][1]))
    assert ids(rest) == ALL_IDS[3:]
    assert server.seen[-2].params == {"verb": "ListRecords", "metadataPrefix": "arXivRaw"}
    # Stopped inside page 2: the harvest continues with that page's token.
    on_page_two = full[6][1]
    assert on_page_two["token"] == TOKEN
    count = len(server.seen)
    assert ids(list(read(["default"], oai_settings, {**on_page_two, "item": 0}))) == ["1302.2146"]
    assert [s.params for s in server.seen[count:]] == [{"verb": "ListRecords", "resumptionToken": TOKEN}]


def test_an_expired_token_on_resume_restarts_the_harvest(
    server: ReplayServer, oai_settings: Settings
) -> None:
    serve_harvest(server)
    cursor = {**list(read(["default"], oai_settings, None))[6][1], "token": "expired|1", "item": 0}
    server.route("/oai", error("BadResumptionToken"), verb="ListRecords", resumptionToken="expired|1")
    assert ids(list(read(["default"], oai_settings, cursor))) == ALL_IDS


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("ftp://example.org/oai", "expected an http(s) OAI-PMH endpoint URL"),
        ("default?verb=Identify", "unknown option 'verb'"),
        ("default?metadataPrefix=oai_dc", "metadataPrefix must be one of arXivRaw, arXiv"),
        ("default?from=yesterday", "from must be YYYY-MM-DD"),
    ],
)
def test_bad_targets_are_explained(target: str, problem: str) -> None:
    with pytest.raises(InputError, match=re.escape(problem)):
        parse_target(target, load_settings())


def test_a_repeated_token_is_an_error_not_a_loop(server: ReplayServer, oai_settings: Settings) -> None:
    server.route("/oai", Reply(body=fixture("oai/ListRecordsResponse.xml")))
    with pytest.raises(OaiError, match=f"page 2: the server repeated resumption token {TOKEN!r}"):
        list(read(["default"], oai_settings, None))
    assert len(server.requests("/oai")) == 2


def test_a_response_that_is_not_oai_pmh_is_an_error(server: ReplayServer, oai_settings: Settings) -> None:
    server.route("/oai", Reply(body=b"<html><body>maintenance</body></html>", content_type="text/html"))
    with pytest.raises(OaiError, match="not an OAI-PMH response"):
        list(read(["default"], oai_settings, None))


def test_cli_harvest_then_incremental_rerun(server: ReplayServer, tmp_path: Path) -> None:
    serve_harvest(server)
    runner = CliRunner()
    env = {"PAPERWIRE_REQUEST_INTERVAL": "0.05", "PAPERWIRE_DATABASE_URL": None}
    base = ["--data-dir", str(tmp_path)]
    target = f"{server.url}/oai?metadataPrefix=arXivRaw"
    first = runner.invoke(cli, [*base, "ingest", "arxiv-oai", target, "--json", "-q"], env=env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout.splitlines()[-1])["papers_new"] == 7
    stats = runner.invoke(cli, [*base, "stats", "--json"], env=env)
    assert json.loads(stats.stdout)["papers"] == 7

    second = runner.invoke(cli, [*base, "ingest", "arxiv-oai", target, "--json", "-q"], env=env)
    assert second.exit_code == 0, second.output
    summary = json.loads(second.stdout.splitlines()[-1])
    assert (summary["papers_new"], summary["read"]) == (0, 7)
    assert server.seen[2].params["from"] == "2014-12-22"
    assert json.loads(runner.invoke(cli, [*base, "stats", "--json"], env=env).stdout)["papers"] == 7


def test_cli_reports_an_oai_error_in_one_line(server: ReplayServer, tmp_path: Path) -> None:
    server.route("/oai", error("BadArgument"))
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(tmp_path), "ingest", "arxiv-oai", f"{server.url}/oai", "-q"],
        env={"PAPERWIRE_REQUEST_INTERVAL": "0.05", "PAPERWIRE_DATABASE_URL": None},
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert result.output.startswith("Error: ")
    assert "badArgument" in result.output


@pytest.mark.slow
def test_a_harvest_killed_mid_run_resumes_and_ends_like_a_clean_one(
    server: ReplayServer, tmp_path: Path
) -> None:
    """SIGKILL a real `paperwire ingest arxiv-oai` process after its first batches, then run it again."""
    serve_harvest(server)
    env = {**os.environ, "PAPERWIRE_REQUEST_INTERVAL": "1.0", "PAPERWIRE_DATA_DIR": str(tmp_path)}
    env.pop("PAPERWIRE_DATABASE_URL", None)
    args = ["ingest", "arxiv-oai", f"{server.url}/oai", "--batch-size", "2", "--json", "-q"]
    engine = make_engine(f"sqlite:///{tmp_path / 'paperwire.db'}")
    process = subprocess.Popen([sys.executable, "-m", "paperwire", *args], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if store_stats(engine)["papers"] >= 2:
                    break
            except Exception:  # noqa: S110 - the store is still being created
                pass
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=10)
    assert len(server.requests("/oai")) == 1, "killed too late: page 2 was already asked for"
    assert 2 <= store_stats(engine)["papers"] < 7

    runner, cli_env = CliRunner(), {"PAPERWIRE_REQUEST_INTERVAL": "0.05", "PAPERWIRE_DATABASE_URL": None}
    resumed = runner.invoke(cli, ["--data-dir", str(tmp_path), *args], env=cli_env)
    assert resumed.exit_code == 0, resumed.output
    summary = json.loads(resumed.stdout.splitlines()[-1])
    assert (summary["resumed"], summary["read"]) == (True, 7)
    with engine.connect() as conn:
        assert sorted(conn.execute(select(Paper.arxiv_id)).scalars()) == sorted(ALL_IDS)

    assert runner.invoke(cli, ["--data-dir", str(tmp_path), *args], env=cli_env).exit_code == 0
    assert server.seen[-2].params.get("from") == "2014-12-22"
    assert harvest_state(engine) == [(f"{server.url}/oai arXivRaw", "2014-12-22")]
    assert store_stats(engine)["papers"] == 7
    engine.dispose()
