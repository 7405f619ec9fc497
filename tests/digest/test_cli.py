"""The digest commands, as the checks call them: subscribe, subscribers import, digest preview/send."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import Engine

from paperwire.cli import cli
from tests.digest.conftest import Sink


def run(url: str, tmp_path: Path, smtp: Sink, *args: str, smtp_url: str | None = None) -> Result:
    env = {
        "PAPERWIRE_SMTP_URL": smtp_url or smtp.url,
        "PAPERWIRE_MAIL_FROM": "Digest <digest@paperwire.test>",
        "PAPERWIRE_SECRET_KEY": "cli-secret",
        "PAPERWIRE_BASE_URL": "https://paperwire.test",
    }
    return CliRunner().invoke(cli, ["--db", url, "--data-dir", str(tmp_path), *args], env=env)


def test_import_preview_and_send(sqlite_sample_engine: Engine, tmp_path: Path, smtp: Sink) -> None:
    url = sqlite_sample_engine.url.render_as_string(hide_password=False)
    csv_file = tmp_path / "list.csv"
    csv_file.write_text("email,cadence,query\nann@example.org,daily,agent\nbo@example.org,weekly,\n")
    imported = run(url, tmp_path, smtp, "subscribers", "import", str(csv_file))
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output) == {"created": 2, "updated": 0, "kept_unsubscribed": 0, "invalid": 0}

    shown = run(
        url, tmp_path, smtp, "digest", "preview", "--email", "ann@example.org", "--date", "2026-06-16"
    )
    assert shown.exit_code == 0, shown.output
    assert "paperwire daily digest, Tuesday 16 June 2026" in shown.output
    assert "matched: agent" in shown.output
    html_file = tmp_path / "ann.html"
    written = run(
        url, tmp_path, smtp, "digest", "preview", "--email", "ann@example.org", "--out", str(html_file)
    )
    assert written.exit_code == 0, written.output
    assert html_file.read_text().startswith("<!DOCTYPE html>")
    assert smtp.count() == 0  # previews send nothing

    dry = run(url, tmp_path, smtp, "digest", "send", "--period", "daily", "--date", "2026-06-16", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["would_send"] == 1 and smtp.count() == 0
    sent = run(url, tmp_path, smtp, "digest", "send", "--period", "daily", "--date", "2026-06-16")
    assert sent.exit_code == 0, sent.output
    summary = json.loads(sent.output)
    assert (summary["sent"], summary["skipped"], summary["failed"]) == (1, 0, 0)
    status = run(url, tmp_path, smtp, "digest", "status", "--period", "daily", "--date", "2026-06-16")
    assert json.loads(status.output) == {
        "period": "daily:2026-06-16",
        "queued": 0,
        "sending": 0,
        "sent": 1,
        "failed": 0,
    }
    weekly = json.loads(
        run(url, tmp_path, smtp, "digest", "send", "--period", "weekly", "--date", "2026-06-22").output
    )
    assert (weekly["period"], weekly["sent"]) == ("weekly:2026-W26", 1)
    assert [m["From"] for m in smtp.received_messages()] == ["Digest <digest@paperwire.test>"] * 2


def test_subscribe_sends_the_confirmation(sqlite_sample_engine: Engine, tmp_path: Path, smtp: Sink) -> None:
    url = sqlite_sample_engine.url.render_as_string(hide_password=False)
    result = run(
        url, tmp_path, smtp, "subscribe", "fresh@example.org", "--cadence", "weekly", "--query", "robot"
    )
    assert result.exit_code == 0, result.output
    assert "Confirmation email sent" in result.output
    [message] = smtp.to("fresh@example.org")
    assert (
        "https://paperwire.test/digest/confirm/" in message.get_body(preferencelist=("plain",)).get_content()
    )  # type: ignore[union-attr]
    nothing = run(url, tmp_path, smtp, "digest", "send", "--period", "weekly", "--date", "2026-06-22")
    assert json.loads(nothing.output)["due"] == 0


def test_bad_input_gives_one_line_errors(sqlite_sample_engine: Engine, tmp_path: Path, smtp: Sink) -> None:
    url = sqlite_sample_engine.url.render_as_string(hide_password=False)
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("email,cadence,query\nnot-an-address,daily,\n")
    cases = [
        (("subscribe", "nope"), "not a valid email address"),
        (("subscribe", "a@example.org", "--query", "after:2026-99-01"), "after: expects a date"),
        (("subscribers", "import", str(bad_csv)), "nothing imported, 1 invalid rows: line 2"),
        (("digest", "preview", "--email", "nobody@example.org"), "no subscription for nobody@example.org"),
    ]
    for args, message in cases:
        result = run(url, tmp_path, smtp, *args)
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
    unreachable = run(url, tmp_path, smtp, "subscribe", "b@example.org", smtp_url="smtp://127.0.0.1:9")
    assert unreachable.exit_code == 1 and "could not send the confirmation email" in unreachable.output
    bad_url = run(url, tmp_path, smtp, "digest", "send", "--period", "daily", smtp_url="http://mail")
    assert bad_url.exit_code == 1 and "PAPERWIRE_SMTP_URL" in bad_url.output


def test_a_lease_shorter_than_an_smtp_transaction_is_refused(
    sqlite_sample_engine: Engine, tmp_path: Path, smtp: Sink
) -> None:
    url = sqlite_sample_engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        cli,
        ["--db", url, "--data-dir", str(tmp_path), "digest", "send", "--period", "daily"],
        env={"PAPERWIRE_SMTP_URL": f"{smtp.url}?timeout=30", "PAPERWIRE_DIGEST_LEASE_SECONDS": "50"},
    )
    assert result.exit_code == 1
    assert "must be more than twice the SMTP timeout" in result.output
