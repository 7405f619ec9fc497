"""Runs as a user starts them: the CLI contract, error reports, resume, and SIGKILL mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from paperwire.cli import cli
from paperwire.db.models import Author, DailyEntry, IngestRun, Paper, PaperAuthor
from paperwire.db.session import make_engine

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_contract_init_ingest_stats(tmp_path: Path) -> None:
    db = ["--data-dir", str(tmp_path)]
    assert run(*db, "init")[0] == 0
    code, out, _ = run(*db, "ingest", "hf-daily", str(FIXTURES / "hf_daily"), "--json", "-q")
    assert code == 0, out
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["papers_new"] > 0
    code, out, _ = run(*db, "stats", "--json")
    stats = json.loads(out)
    assert stats["papers"] == summary["papers_new"]
    assert stats["daily_entries"] == summary["daily_new"]
    assert stats["authors"] > stats["papers"]
    code, out, _ = run(*db, "ingest", "hf-daily", str(FIXTURES / "hf_daily"), "--json", "-q")
    assert json.loads(out)["papers_new"] == 0
    assert json.loads(run(*db, "stats", "--json")[1])["papers"] == stats["papers"]


def test_bad_records_are_reported_on_one_line_and_the_rest_stored(tmp_path: Path) -> None:
    src = tmp_path / "2025-03-18.jsonl"
    good = {"id": "2503.00001", "title": "Good", "summary": "x", "authors": ["A"], "categories": ["cs.CL"]}
    src.write_text(
        json.dumps(good)
        + "\n"
        + json.dumps({**good, "id": "not-an-id"})
        + "\n"
        + json.dumps({**good, "id": "2503.00002", "authors": "A and B"})
        + "\n{oops\n"
        + json.dumps({**good, "id": "2503.00003"})
        + "\n"
    )
    code, out, err = run("--data-dir", str(tmp_path), "ingest", "arxiv-daily", str(src))
    assert code == 3, "some records were rejected"
    lines = [line for line in err.splitlines() if line.startswith("skipped")]
    assert lines == [
        f"skipped {src}:2: field 'id': not an arXiv id: 'not-an-id'",
        f"skipped {src}:3: id 2503.00002: field 'authors': expected a list of names",
        f"skipped {src}:4: invalid JSON: Expecting property name enclosed in double quotes at column 2",
    ]
    assert "new papers 2" in out and "skipped 3" in out
    engine = make_engine(f"sqlite:///{tmp_path / 'paperwire.db'}")
    with engine.connect() as conn:
        run_row = conn.execute(select(IngestRun.__table__)).mappings().one()
    assert run_row["status"] == "completed"
    assert run_row["counts"]["errors"] == 3
    assert [e["field"] for e in run_row["errors"]] == ["id", "authors", None]


def test_missing_input_is_a_one_line_error(tmp_path: Path) -> None:
    code, _out, err = run("--data-dir", str(tmp_path), "ingest", "csv", str(tmp_path / "nope.csv"))
    assert code == 1
    assert err.strip() == f"Error: {tmp_path / 'nope.csv'}: no such file or directory"
    code, _out, err = run("--data-dir", str(tmp_path), "ingest", "bogus", "x")
    assert code == 2 and "Invalid value for 'SOURCE'" in err


def snapshot_of(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Everything an ingest stores, keyed by natural keys: surrogate ids may differ on PostgreSQL, whose
    sequences are not rolled back with a killed transaction; created_at is wall-clock time."""
    skip = {"id", "paper_id", "created_at"}
    tables = {
        "papers": select(*(c for c in Paper.__table__.columns if c.name not in skip)).order_by(
            Paper.arxiv_id
        ),
        "authors": select(Paper.arxiv_id, PaperAuthor.position, Author.name)
        .join(PaperAuthor, PaperAuthor.paper_id == Paper.id)
        .join(Author, Author.id == PaperAuthor.author_id)
        .order_by(Paper.arxiv_id, PaperAuthor.position),
        "daily": select(Paper.arxiv_id, *(c for c in DailyEntry.__table__.columns if c.name not in skip))
        .join(Paper, Paper.id == DailyEntry.paper_id)
        .order_by(Paper.arxiv_id, DailyEntry.day),
    }
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(stmt)] for name, stmt in tables.items()}


def ingest_cmd(url: str, data_dir: Path, source: str, target: Path) -> list[str]:
    return [
        sys.executable, "-m", "paperwire", "--db", url, "--data-dir", str(data_dir),
        "ingest", source, str(target), "--batch-size", "200", "-q",
    ]  # fmt: skip


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_equals_one_clean_run(
    database_url: str, postgres_or_sqlite_twin: str, shared_data: Path, tmp_path: Path
) -> None:
    source = tmp_path / "days"
    source.mkdir()
    for path in sorted((shared_data / "arxiv-daily").iterdir())[:15]:
        (source / path.name).symlink_to(path)

    subprocess.run(ingest_cmd(postgres_or_sqlite_twin, tmp_path, "arxiv-daily", source), check=True)
    clean = make_engine(postgres_or_sqlite_twin)

    killed = make_engine(database_url)
    proc = subprocess.Popen(ingest_cmd(database_url, tmp_path, "arxiv-daily", source))
    deadline = time.monotonic() + 120
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with killed.connect() as conn:
                committed = len(conn.execute(select(Paper.id)).all())
        except Exception:  # noqa: S112 - the schema may not exist yet in the first instants
            continue
        if committed >= 800:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    with killed.connect() as conn:
        status = conn.execute(select(IngestRun.status)).scalars().all()
    assert status == ["running"]

    subprocess.run(ingest_cmd(database_url, tmp_path, "arxiv-daily", source), check=True)
    after, reference = snapshot_of(killed), snapshot_of(clean)
    assert len(after["papers"]) == len(reference["papers"]) > committed
    assert after == reference
    ids = [row[0] for row in after["papers"]]
    assert len(ids) == len(set(ids))
    with killed.connect() as conn:
        runs = conn.execute(select(IngestRun.status, IngestRun.counts)).all()
    assert [r.status for r in runs] == ["completed"], "the re-run resumed the killed run"
    killed.dispose()
    clean.dispose()
