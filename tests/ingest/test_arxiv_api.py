"""The arXiv API source against a real server on 127.0.0.1 replaying a recorded Atom response.

``arxiv_response.xml`` is a real answer to ``cat:cs.RO AND (neural)`` with ``max_results=2`` (2 of
5,619 entries). Shorter pages are cut from it; the error feed follows the API manual's format.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from replay_server import ReplayServer, Reply, fixture
from sqlalchemy import Engine, select

from paperwire.cli import cli
from paperwire.config import Settings, load_settings
from paperwire.db.migrate import upgrade
from paperwire.db.models import Paper
from paperwire.db.session import make_engine
from paperwire.ingest.arxiv_api import ArxivApiError, parse_target, read
from paperwire.ingest.runner import run_ingest
from paperwire.papers.record import Record

QUERY = "cat:cs.RO AND (neural)"
IDS = ["2510.14968", "2510.14827"]
ATOM = "{http://www.w3.org/2005/Atom}"
ERROR_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query%3D%26id_list%3D2510.1496%26start%3D0%26max_results%3D10" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=&amp;id_list=2510.1496&amp;start=0&amp;max_results=10</title>
  <id>http://arxiv.org/api/ip3ArMtx8h8iV3Y3DcwXhmGDSa0</id>
  <updated>2025-10-17T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_2510.1496</id>
    <title>Error</title>
    <summary>incorrect id format for 2510.1496</summary>
    <updated>2025-10-17T00:00:00-04:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_2510.1496" rel="alternate" type="text/html"/>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
"""


def feed(keep: list[int], total: int | None = None) -> bytes:
    """The recorded feed with only the entries at ``keep`` (and optionally another totalResults)."""
    root = etree.fromstring(fixture("arxiv_api/arxiv_response.xml"))
    for index, entry in reversed(list(enumerate(root.iterfind(f"{ATOM}entry")))):
        if index not in keep:
            root.remove(entry)
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    if total is not None:
        body = re.sub(rb"(<opensearch:totalResults[^>]*>)\d+", rb"\g<1>" + str(total).encode(), body)
    return body


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "paperwire.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def settings(server: ReplayServer, tmp_path: Path, migrated: Path) -> Settings:
    """Fast settings with a page size of 2 over a copy of a migrated SQLite store."""
    (tmp_path / "store").mkdir()
    shutil.copy(migrated, tmp_path / "store" / "paperwire.db")
    return load_settings(
        data_dir=tmp_path / "store",
        arxiv_api_url=f"{server.url}/api/query",
        arxiv_api_page_size=2,
        request_interval=0.05,
        http_retries=2,
        http_timeout=5,
    )


def record_ids(settings: Settings, targets: list[str], resume: dict[str, int] | None = None) -> list[str]:
    return [item.arxiv_id for item, _ in read(targets, settings, resume) if isinstance(item, Record)]


def test_a_query_is_paged_until_an_empty_page(
    server: ReplayServer, settings: Settings, engine: Engine
) -> None:
    server.route("/api/query", Reply(body=feed([0, 1])), start="0")
    server.route("/api/query", Reply(body=feed([])), start="2")
    summary = run_ingest(engine, "arxiv-api", [f"query:{QUERY}"], settings)
    assert (summary.read, summary.errors, summary.counts.papers_new) == (2, 0, 2)
    assert [s.params for s in server.requests("/api/query")] == [
        {"search_query": QUERY, "start": "0", "max_results": "2"},
        {"search_query": QUERY, "start": "2", "max_results": "2"},
    ]
    with engine.connect() as conn:
        papers = {p.arxiv_id: p for p in conn.execute(select(Paper))}
    rdd = papers["2510.14968"]
    assert rdd.title.startswith("RDD: Retrieval-Based Demonstration Decomposer for Planner Alignment in Long")
    assert rdd.authors == ["Mingxuan Yan", "Yuping Wang", "Zechun Liu", "Jiachen Li"]
    assert rdd.categories == ["cs.RO", "cs.AI", "cs.CV", "cs.LG", "cs.SY", "eess.SY"]
    assert rdd.primary_category == "cs.RO"
    assert rdd.version == 1
    assert str(rdd.published) == "2025-10-16"
    assert rdd.comments is not None
    assert rdd.comments.startswith("39th Conference on Neural Information Processing Systems (NeurIPS 2025)")
    assert papers["2510.14827"].categories == ["cs.RO"]


def test_paging_stops_at_total_results(server: ReplayServer, settings: Settings) -> None:
    server.route("/api/query", Reply(body=feed([0, 1], total=3)), start="0")
    server.route("/api/query", Reply(body=feed([1], total=3)), start="2")
    assert record_ids(settings, [f"query:{QUERY}"]) == [*IDS, IDS[1]]
    assert [s.params["start"] for s in server.requests("/api/query")] == ["0", "2"]


def test_a_query_stops_at_the_result_cap_and_says_so(
    server: ReplayServer, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    server.route("/api/query", Reply(body=feed([0, 1], total=5619)), start="0")
    server.route("/api/query", Reply(body=feed([1], total=5619)), start="2")
    capped = settings.model_copy(update={"arxiv_api_max_results": 3})
    assert record_ids(capped, [f"query:{QUERY}"]) == [*IDS, IDS[1]]
    assert [s.params["max_results"] for s in server.requests("/api/query")] == ["2", "1"]
    assert "stopped after 3 of 5619 results (PAPERWIRE_ARXIV_API_MAX_RESULTS)" in caplog.text


def test_an_id_list_is_sent_in_page_sized_chunks(server: ReplayServer, settings: Settings) -> None:
    server.route("/api/query", Reply(body=feed([0, 1])), id_list=",".join(IDS))
    server.route("/api/query", Reply(body=feed([1])), id_list="2510.14827v1")
    ids = record_ids(settings, [f"id:{IDS[0]},{IDS[1]} 2510.14827v1"])
    assert ids == [*IDS, IDS[1]]
    assert [s.params for s in server.requests("/api/query")] == [
        {"id_list": ",".join(IDS), "start": "0", "max_results": "2"},
        {"id_list": "2510.14827v1", "start": "0", "max_results": "1"},
    ]


def test_a_resumed_query_starts_at_its_cursor(server: ReplayServer, settings: Settings) -> None:
    server.route("/api/query", Reply(body=feed([1], total=2)), start="1")
    cursor = {"target": 0, "start": 1}
    assert record_ids(settings, [f"query:{QUERY}"], cursor) == [IDS[1]]
    assert server.seen[0].params["start"] == "1"


def test_the_api_error_entry_becomes_a_clear_error(server: ReplayServer, settings: Settings) -> None:
    server.route("/api/query", Reply(400, ERROR_FEED, "application/atom+xml"))
    with pytest.raises(
        ArxivApiError, match=re.escape("arXiv API error: incorrect id format for 2510.1496")
    ) as caught:
        record_ids(settings, ["id:2510.14968"])
    assert "\n" not in str(caught.value)


def test_503_is_retried_after_the_pause_asked_for(server: ReplayServer, settings: Settings) -> None:
    server.route("/api/query", Reply(503, headers={"Retry-After": "0.2"}), Reply(body=feed([0, 1], total=2)))
    assert record_ids(settings, [f"query:{QUERY}"]) == IDS
    first, second = server.requests("/api/query")
    assert second.at - first.at >= 0.19


@pytest.mark.parametrize("target", ["cat:cs.CL", "id:", "id:2510.1496x", "query:  "])
def test_bad_targets_are_explained(target: str) -> None:
    with pytest.raises(ArxivApiError, match=r"expected id:ID|not an arXiv id"):
        parse_target(target)


def test_cli_query_then_rerun_adds_nothing(server: ReplayServer, tmp_path: Path) -> None:
    server.route("/api/query", Reply(body=feed([0, 1], total=2)))
    runner = CliRunner()
    env = {
        "PAPERWIRE_ARXIV_API_URL": f"{server.url}/api/query",
        "PAPERWIRE_REQUEST_INTERVAL": "0.05",
        "PAPERWIRE_DATABASE_URL": None,
    }
    base = ["--data-dir", str(tmp_path)]
    for expected_new in (2, 0):
        result = runner.invoke(cli, [*base, "ingest", "arxiv-api", f"query:{QUERY}", "--json", "-q"], env=env)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout.splitlines()[-1])
        assert (summary["read"], summary["papers_new"]) == (2, expected_new)
    stats = json.loads(runner.invoke(cli, [*base, "stats", "--json"], env=env).stdout)
    assert stats["papers"] == 2
    assert stats["authors"] == 10
