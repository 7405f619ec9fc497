"""Hostile and broken input as the CLI meets it: every bad record is one report, every good one is stored,
and no run is left ``running`` (issue 11)."""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, insert, select

from paperwire.cli import cli
from paperwire.cli.search import _print_hits
from paperwire.clock import utcnow
from paperwire.config import load_settings
from paperwire.db.migrate import upgrade
from paperwire.db.models import DailyEntry, IngestRun, Paper
from paperwire.db.session import make_engine
from paperwire.ingest import runner, sources
from paperwire.ingest.inputs import Cursor, ReadResult
from paperwire.papers.record import DailyListing, Record, build_record
from paperwire.search.service import SearchHit
from paperwire.status import status_report
from paperwire.web.metrics import exposition

GOOD_COUNT = 2986


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def good_record(n: int) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"2401.{n:05d}",
        "title": f"Paper {n} on [bold]markup[/bold] and [/x] in titles",
        "abstract": f"Abstract {n}\x00 with a\x1b control character.",
        "authors": ["Ann One", "Bo Two"],
        "categories": "cs.CL\x07 cs.LG",
        "published": "2024-01-02",
    }
    if n % 10 == 0:
        record.update(list_day="2024-01-03", upvotes=n % 97, project_page=" https://example.org/p")
    return record


# The kinds of bad record the issue found, each on its own line (line number -> content).
def bad_lines() -> dict[int, bytes]:
    base = {"title": "Bad", "authors": ["A"]}

    def line(n: int, **fields: Any) -> bytes:
        return json.dumps({"id": f"2402.{n:05d}", **base, **fields}).encode()

    return {
        7: json.dumps({**base, "id": "2402.00001[/x]"}).encode(),
        150: line(2, doi=5),
        400: line(3, license=7),
        610: line(4, comments=7),
        900: line(5, journal_ref=9),
        1200: line(6, project_page={"a": 1}),
        1500: line(7, submitter=["x"], list_day="2024-01-03"),
        1800: b'{"id": "2402.00008", "title": "Lone \\ud800 surrogate", "authors": ["A"]}',
        2100: line(9, upvotes=1e30, list_day="2024-01-03"),
        2300: line(10, published="0001-01-01T00:00:00+01:00"),
        2500: '{"id": "2402.00011", "title": "Caf\xe9 in Latin-1", "authors": ["A"]}'.encode("latin-1"),
        2700: line(12, project_page="java\tscript:alert(document.domain)"),
        2850: line(13, abstract="x" * 100_000),
        2999: b'{"id": "2402.00014", "title": ',
    }


def write_mixed_jsonl(path: Path) -> dict[int, bytes]:
    bad = bad_lines()
    good = iter(range(1, GOOD_COUNT + 1))
    rows = [bad[n] if n in bad else json.dumps(good_record(next(good))).encode() for n in range(1, 3001)]
    assert next(good, None) is None
    path.write_bytes(b"\n".join(rows) + b"\n")
    return bad


def runs(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(IngestRun.status).order_by(IngestRun.id)).scalars())


def test_3000_lines_with_14_bad_ones_store_every_good_one(database_url: str, tmp_path: Path) -> None:
    src = tmp_path / "mixed.jsonl"
    bad = write_mixed_jsonl(src)
    args = ("--db", database_url, "--data-dir", str(tmp_path), "ingest", "jsonl", str(src), "-q")
    code, out, err = run(*args, "--batch-size", "500")
    assert code == 3, err
    skipped = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == len(bad) == 14
    for line_no, report in zip(sorted(bad), skipped, strict=True):
        assert report.startswith(f"skipped {src}:{line_no}: "), report
    assert "field 'doi': expected text, got int" in skipped[1]
    assert "id 2402.00006: field 'project_page': expected text, got dict" in skipped[5]
    assert "field 'title': not valid Unicode" in skipped[7]
    assert "field 'upvotes': out of range" in skipped[8]
    assert "field 'published': date out of range" in skipped[9]
    assert "not UTF-8 text (byte 0xe9" in skipped[10]
    assert "field 'project_page': not an http(s) URL" in skipped[11]
    assert "field 'abstract': longer than 20000 characters" in skipped[12]
    assert "skipped 14" in out and f"new papers {GOOD_COUNT}" in out

    engine = make_engine(database_url)
    with engine.connect() as conn:
        ids = set(conn.execute(select(Paper.arxiv_id)).scalars())
        sample = conn.execute(select(Paper.__table__).where(Paper.arxiv_id == "2401.00010")).mappings().one()
        entries = conn.execute(select(DailyEntry.id)).all()
    assert ids == {f"2401.{n:05d}" for n in range(1, GOOD_COUNT + 1)}
    assert sample["title"] == "Paper 10 on [bold]markup[/bold] and [/x] in titles"
    assert sample["abstract"] == "Abstract 10 with a control character."
    assert sample["categories"] == ["cs.CL", "cs.LG"]
    assert sample["project_page"] == "https://example.org/p"
    assert len(entries) == GOOD_COUNT // 10

    code, out, err = run(*args)
    assert code == 3, err
    assert "new papers 0" in out and "skipped 14" in out
    with engine.connect() as conn:
        assert len(conn.execute(select(Paper.id)).all()) == GOOD_COUNT
    assert runs(engine) == ["completed", "completed"]

    code, out, _ = run("--db", database_url, "--data-dir", str(tmp_path), "daily", "--date", "2024-01-03")
    assert code == 0
    assert "[/x] in titles" in out and "[bold]markup[/bold]" in out
    engine.dispose()


def test_bom_csv_with_quoted_newlines_and_bom_jsonl(tmp_path: Path) -> None:
    csv_path = tmp_path / "excel.csv"
    csv_path.write_bytes(
        codecs.BOM_UTF8
        + (
            b"id,title,abstract,authors,categories\r\n"
            b'2403.00001,"A title","First line\r\nsecond line, with a comma","Ann; Bo",cs.CL\r\n'
            b'2403.00002,Plain,"quoted ""words""\nover\nthree lines",Cy,cs.LG\r\n'
            b"not-an-id,Bad,x,Dee,cs.AI\r\n"
            b'2403.00003,"Last, with comma",,Eve,"cs.CV cs.AI"\r\n'
        )
    )
    jsonl_path = tmp_path / "first.jsonl"
    jsonl_path.write_bytes(
        codecs.BOM_UTF8
        + json.dumps({"id": "2403.00004", "title": "First record", "authors": ["A"]}).encode()
        + b"\n"
        + json.dumps({"id": "2403.00005", "title": "Second record", "authors": ["B"]}).encode()
        + b"\n"
    )
    db = ("--data-dir", str(tmp_path))
    code, out, err = run(*db, "ingest", "csv", str(csv_path), "-q")
    assert code == 3 and "new papers 3" in out
    assert [line for line in err.splitlines() if line.startswith("skipped")] == [
        f"skipped {csv_path}:7: field 'id': not an arXiv id: 'not-an-id'"
    ]
    code, out, err = run(*db, "ingest", "jsonl", str(jsonl_path), "-q")
    assert code == 0 and "new papers 2" in out and "skipped" not in err
    engine = make_engine(f"sqlite:///{tmp_path / 'paperwire.db'}")
    with engine.connect() as conn:
        papers = {p["arxiv_id"]: p for p in conn.execute(select(Paper.__table__)).mappings()}
    assert sorted(papers) == [f"2403.0000{n}" for n in range(1, 6)]
    assert papers["2403.00001"]["abstract"] == "First line second line, with a comma"
    assert papers["2403.00001"]["authors"] == ["Ann", "Bo"]
    assert papers["2403.00002"]["abstract"] == 'quoted "words" over three lines'
    assert papers["2403.00003"]["title"] == "Last, with comma"
    assert runs(engine) == ["completed", "completed"]
    engine.dispose()


def test_a_latin1_line_in_csv_costs_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_bytes(
        b'id,title\n2404.00001,One\n2404.00002,"Caf\xe9\n spans"\n2404.00003,Three\n2404.00004,Four\n'
    )
    code, out, err = run("--data-dir", str(tmp_path), "ingest", "csv", str(path), "-q")
    assert code == 3 and "new papers 3" in out
    assert f"skipped {path}:3: not UTF-8 text (byte 0xe9 at column 16)" in err


def test_a_directory_is_read_for_its_format_only(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    record = {"id": "2405.00001", "title": "T", "authors": ["A"]}
    (folder / "a.jsonl").write_text(json.dumps(record) + "\n")
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(json.dumps({**record, "id": "2405.00002"}).encode()))
    (folder / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    (folder / "notes.txt").write_text("hello\n")
    code, out, err = run("--data-dir", str(tmp_path), "ingest", "jsonl", str(folder), "-q")
    assert code == 0, err
    assert "new papers 2" in out
    assert f"{folder / 'key.pem'}: not read" in err and f"{folder / 'notes.txt'}: not read" in err
    assert "BEGIN" not in err


def test_a_missing_file_fails_the_run_which_is_then_resumed(tmp_path: Path) -> None:
    db = ("--data-dir", str(tmp_path))
    missing = tmp_path / "later.jsonl"
    code, _out, err = run(*db, "ingest", "jsonl", str(missing))
    assert code == 1 and err.strip() == f"Error: {missing}: no such file or directory"
    engine = make_engine(f"sqlite:///{tmp_path / 'paperwire.db'}")
    assert runs(engine) == ["failed"]
    with engine.connect() as conn:
        errors = conn.execute(select(IngestRun.errors)).scalar_one()
    assert errors[-1]["reason"] == f"failed: {missing}: no such file or directory"
    missing.write_text(json.dumps({"id": "2405.00003", "title": "T", "authors": ["A"]}) + "\n")
    assert run(*db, "ingest", "jsonl", str(missing), "-q")[0] == 0
    assert runs(engine) == ["completed"], "the same command resumed the failed run"
    engine.dispose()


def test_no_network_fails_the_run_and_says_what_it_waits_for(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "PAPERWIRE_HF_API_URL": f"http://127.0.0.1:{port}",
        "PAPERWIRE_REQUEST_INTERVAL": "0",
        "PAPERWIRE_HTTP_RETRIES": "2",
        "PAPERWIRE_HTTP_TIMEOUT": "2",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "paperwire",
            "--data-dir",
            str(tmp_path),
            "ingest",
            "hf-daily",
            "date:2024-05-27",
            "-q",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    waits = [line for line in proc.stderr.splitlines() if "retry" in line and "in " in line]
    assert len(waits) == 2, proc.stderr
    assert re.search(
        rf"127\.0\.0\.1:{port}/api/daily_papers\?date=2024-05-27: ConnectError.*retry 1 of 2 in \d+ s",
        waits[0],
    )
    assert proc.stderr.splitlines()[-1].startswith("Error: ") and "gave up after 3 attempts" in proc.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'paperwire.db'}")
    assert runs(engine) == ["failed"]
    engine.dispose()


def interrupted_source(records: int) -> sources.SourceReader:
    def read(targets: list[str], settings: Any, resume: Cursor | None) -> Iterator[ReadResult]:
        start = int(resume["line"]) if resume else 0
        for n in range(start + 1, records + 1):
            record = build_record(f"x:{n}", arxiv_id=f"2406.{n:05d}", title="T", abstract="", authors=["A"])
            yield record, {"file": "x", "line": n}
            if n == 25 and not resume:
                raise KeyboardInterrupt

    return read


def test_an_interrupted_run_keeps_what_it_read_is_failed_then_resumed(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sources.SOURCES, "jsonl", interrupted_source(40))
    settings = load_settings(batch_size=10, ingest_workers=0)
    with pytest.raises(KeyboardInterrupt):
        runner.run_ingest(sqlite_engine, "jsonl", ["x"], settings)
    assert runs(sqlite_engine) == ["failed"]
    with sqlite_engine.connect() as conn:
        assert len(conn.execute(select(Paper.id)).all()) == 25, "the records read before ^C were stored"
        assert conn.execute(select(IngestRun.errors)).scalar_one()[-1]["reason"] == "failed: interrupted"
    summary = runner.run_ingest(sqlite_engine, "jsonl", ["x"], settings)
    assert summary.resumed and summary.counts.papers_new == 40 and summary.read == 40
    assert runs(sqlite_engine) == ["completed"]


def test_a_stale_running_row_is_closed_and_a_live_one_is_not_taken_over(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sources.SOURCES, "jsonl", interrupted_source(5))
    host = socket.gethostname()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with sqlite_engine.begin() as conn:
            for target, pid in (("other", int(gone.stdout)), ("busy", live.pid)):
                conn.execute(
                    insert(IngestRun).values(
                        source="jsonl",
                        target=json.dumps([target]),
                        started_at=utcnow(),
                        status="running",
                        counts={"owner": f"{host}:{pid}"},
                        errors=[],
                    )
                )
        settings = load_settings(ingest_workers=0)
        with pytest.raises(runner.RunInProgress, match=rf"still running \(process {host}:{live.pid}\)"):
            runner.run_ingest(sqlite_engine, "jsonl", ["busy"], settings)
        runner.run_ingest(sqlite_engine, "jsonl", ["new"], settings)
        assert runs(sqlite_engine) == ["failed", "running", "completed"]
    finally:
        live.kill()
        live.wait()
    with sqlite_engine.connect() as conn:
        reason = conn.execute(select(IngestRun.errors).where(IngestRun.id == 1)).scalar_one()[-1]["reason"]
    assert reason == "failed: its process ended before the run finished"
    runner.run_ingest(sqlite_engine, "jsonl", ["new"], settings)
    assert runs(sqlite_engine) == ["failed", "failed", "completed", "completed"]
    assert runner.owner_state("another-host:1") == "unknown", "another host's run is never closed"


def test_records_the_store_refuses_are_reported_and_the_rest_of_the_batch_stored(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read(targets: list[str], settings: Any, resume: Cursor | None) -> Iterator[ReadResult]:
        for n in range(1, 11):
            record = build_record(f"x:{n}", arxiv_id=f"2407.{n:05d}", title="T", abstract="", authors=["A"])
            if n in (4, 9):  # past every check, as a bug in a reader could leave it: SQLite cannot hold it
                record.listing = DailyListing(day=record.published or utcnow().date(), upvotes=2**70)
            yield record, {"file": "x", "line": n}

    monkeypatch.setitem(sources.SOURCES, "jsonl", read)
    reported: list[str] = []
    summary = runner.run_ingest(
        sqlite_engine,
        "jsonl",
        ["x"],
        load_settings(batch_size=100),
        on_error=lambda e: reported.append(str(e)),
    )
    assert summary.errors == 2
    assert [r.split(": the store refused it")[0] for r in reported] == [
        "x:4: id 2407.00004",
        "x:9: id 2407.00009",
    ]
    with sqlite_engine.connect() as conn:
        stored = set(conn.execute(select(Paper.arxiv_id)).scalars())
    assert stored == {f"2407.{n:05d}" for n in range(1, 11) if n not in (4, 9)}
    assert runs(sqlite_engine) == ["completed"]


def test_every_source_refuses_script_links(tmp_path: Path) -> None:
    pages = [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<b>x</b>",
        "//evil",
    ]
    for n, page in enumerate(pages, 1):
        with pytest.raises(Exception, match="field 'project_page': not an http"):
            build_record(
                "x", arxiv_id=f"2408.{n:05d}", title="T", abstract="", authors=[], project_page_url=page
            )
    ok = build_record(
        "x", arxiv_id="2408.00009", title="T", abstract="", authors=[], project_page_url=" HTTPS://a.org/x"
    )
    assert ok.project_page == "https://a.org/x"
    assert isinstance(ok, Record)


def test_search_output_prints_markup_in_titles_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    title = "Closing [/x] and [bold red]styled[/bold red] words"
    _print_hits("results for [/q]", [SearchHit(paper_id=1, arxiv_id="2401.00001", score=1.0)], {1: title})
    out = capsys.readouterr().out
    assert "[/x]" in out and "[bold red]styled[/bold red]" in out and "[/q]" in out


def test_metrics_export_run_counts_but_not_the_owner(sqlite_engine: Engine, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", database_url=str(sqlite_engine.url))
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    runner.run_ingest(sqlite_engine, "hf-daily", [str(fixtures / "hf_daily" / "2026-08-21.json")], settings)
    with sqlite_engine.connect() as conn:
        assert ":" in conn.execute(select(IngestRun.counts)).scalar_one()["owner"]
    body, _ = exposition(sqlite_engine, settings)
    records = [
        line for line in body.decode().splitlines() if line.startswith("paperwire_ingest_last_run_records")
    ]
    assert any('outcome="papers_new"' in line for line in records)
    assert not any("owner" in line for line in records)


def test_the_status_report_tells_a_run_whose_process_is_gone(sqlite_engine: Engine, tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    with sqlite_engine.begin() as conn:
        conn.execute(
            insert(IngestRun).values(
                source="hf-daily",
                target="[]",
                started_at=utcnow(),
                status="running",
                counts={"owner": f"{socket.gethostname()}:{int(gone.stdout)}", "read": 5},
                errors=[],
            )
        )
    settings = load_settings(data_dir=tmp_path / "data", database_url=str(sqlite_engine.url))
    report = status_report(sqlite_engine, settings)
    run_row = next(s.last_run for s in report.sources if s.source == "hf-daily")
    assert run_row is not None and run_row.status == "running (process gone)"
    assert run_row.counts == {"read": 5}


@pytest.mark.slow
def test_sigterm_mid_run_marks_it_failed_and_the_rerun_completes(shared_data: Path, tmp_path: Path) -> None:
    source = tmp_path / "days"
    source.mkdir()
    for path in sorted((shared_data / "arxiv-daily").iterdir())[:15]:
        (source / path.name).symlink_to(path)
    url = f"sqlite:///{tmp_path / 'paperwire.db'}"
    cmd = [
        sys.executable,
        "-m",
        "paperwire",
        "--db",
        url,
        "--data-dir",
        str(tmp_path),
        "ingest",
        "arxiv-daily",
    ]
    engine = make_engine(url)
    upgrade(engine)
    proc = subprocess.Popen([*cmd, str(source), "--batch-size", "200", "-q"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        with engine.connect() as conn:
            if len(conn.execute(select(Paper.id)).all()) >= 400:
                proc.send_signal(signal.SIGTERM)
                break
        time.sleep(0.05)
    assert proc.wait(60) == 128 + signal.SIGTERM, "the run finished before it could be stopped"
    assert runs(engine) == ["failed"]
    with engine.connect() as conn:
        assert (
            conn.execute(select(IngestRun.errors)).scalar_one()[-1]["reason"] == "failed: stopped by a signal"
        )
    assert subprocess.run([*cmd, str(source), "-q"], capture_output=True, check=False).returncode == 0
    assert runs(engine) == ["completed"]
    engine.dispose()
