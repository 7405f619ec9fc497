"""CLI failures the user can fix are one line, with a hint, and no exception names or library links."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.cli import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output.strip()


def assert_one_line(output: str) -> None:
    assert output.startswith("Error: "), output
    assert "\n" not in output, output
    for noise in ("Traceback", "sqlalche.me", "Error:", "Exception"):
        assert noise not in output.removeprefix("Error: "), output


def test_a_db_that_is_not_a_url_says_what_a_url_looks_like(tmp_path: Path) -> None:
    code, out = run("--db", str(tmp_path), "stats")
    assert code == 1
    assert_one_line(out)
    assert "is not a database URL" in out and "sqlite:///path/to.db" in out and "postgresql+psycopg://" in out


def test_a_directory_as_the_sqlite_file(tmp_path: Path) -> None:
    code, out = run("--db", f"sqlite:///{tmp_path}", "stats")
    assert code == 1
    assert_one_line(out)
    assert f"{tmp_path} is a directory" in out


def test_an_unreachable_postgresql_server(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out = run(
        "--data-dir", str(tmp_path), "--db", f"postgresql+psycopg://u@127.0.0.1:{port}/db", "stats"
    )
    assert code == 1
    assert_one_line(out)
    assert "cannot use the database" in out and "PAPERWIRE_DATABASE_URL" in out and str(port) in out


def test_a_data_dir_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "afile"
    path.write_text("x")
    code, out = run("--data-dir", str(path), "stats")
    assert code == 1
    assert_one_line(out)
    assert "is a file; it wants a directory" in out


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_is_a_usage_error(tmp_path: Path, query: str) -> None:
    code, out = run("--data-dir", str(tmp_path), "search", query)
    assert code == 2
    assert "the query is empty" in out


def test_dates_impossible_malformed_and_without_a_list(tmp_path: Path) -> None:
    code, out = run("--data-dir", str(tmp_path), "daily", "--date", "2026-02-30")
    assert code == 2
    assert "2026-02-30 is not a date" in out
    code, out = run("--data-dir", str(tmp_path), "daily", "--date", "30/02/2026")
    assert code == 2
    assert "is not a date in the form YYYY-MM-DD" in out
    code, out = run(
        "--data-dir",
        str(tmp_path),
        "ingest",
        "-q",
        "hf-daily",
        str(FIXTURES / "hf_daily" / "2024-05-27.json"),
    )
    assert code == 0, out
    code, out = run("--data-dir", str(tmp_path), "daily", "--date", "2024-06-15")
    assert code == 1
    assert_one_line(out)
    assert out == "Error: No list for 2024-06-15 (nearest: 2024-05-27)"
    code, out = run("--data-dir", str(tmp_path), "daily", "--date", "2024-05-27", "--limit", "1")
    assert code == 0 and "Daily papers" in out


def test_serve_on_a_taken_port_names_the_flag_and_the_variable(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        code, out = run("--data-dir", str(tmp_path), "serve", "--port", str(port))
    assert code == 1
    assert_one_line(out)
    assert f"127.0.0.1:{port}" in out and "--port" in out and "PAPERWIRE_PORT" in out
