"""Exactly one digest per subscriber and period with real sender processes: killed with SIGKILL in
the middle of a batch and re-run, or two running at once."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperwire.digest import subscriptions
from paperwire.digest.models import OutboxEmail
from paperwire.digest.outbox import INTERRUPTED
from tests.conftest import ROOT
from tests.digest.conftest import Sink

pytestmark = pytest.mark.slow
DAY = "2026-06-16"
CONNECTIONS = 2  # SMTP connections (threads) of the sender that gets killed


def subscribe_many(engine: Engine, count: int) -> list[str]:
    addresses = [f"reader{i:02d}@example.org" for i in range(count)]
    queries = ["language model", "diffusion", "agent", "robot", "reasoning", ""]
    rows = "".join(f"{a},daily,{queries[i % len(queries)]}\n" for i, a in enumerate(addresses))
    with Session(engine) as session, session.begin():
        assert not subscriptions.import_confirmed(session, rows).errors
    return addresses


def sender(
    url: str, sink: Sink, tmp_path: Path, lease: float = 4.0, connections: int = 4
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PAPERWIRE_SMTP_URL": f"{sink.url}?timeout=1",
        "PAPERWIRE_SECRET_KEY": "digest-test-secret",
        "PAPERWIRE_BASE_URL": "https://paperwire.test",
        "PAPERWIRE_DIGEST_LEASE_SECONDS": str(lease),
        "PAPERWIRE_DIGEST_SMTP_CONNECTIONS": str(connections),
    }
    argv = [sys.executable, "-m", "paperwire", "--db", url, "--data-dir", str(tmp_path)]
    argv += ["digest", "send", "--period", "daily", "--date", DAY]
    return subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate(timeout=90)
    assert process.returncode == 0, err
    summary = json.loads(out)
    assert isinstance(summary, dict)
    return summary


def test_sender_killed_mid_batch_then_rerun_sends_each_digest_once(
    sample_url: str, sample_engine: Engine, smtp: Sink, tmp_path: Path
) -> None:
    addresses = subscribe_many(sample_engine, 12)
    smtp.rcpt_delay = 0.15
    first = sender(sample_url, smtp, tmp_path, connections=CONNECTIONS)
    deadline = time.monotonic() + 60
    while smtp.count() < 4:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the sender never got going"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    delivered_before = smtp.count()
    assert delivered_before < len(addresses), "the kill came after the batch was done"
    with Session(sample_engine) as session:
        assert session.execute(select(func.count()).where(OutboxEmail.state == "sent")).scalar_one() < len(
            addresses
        )
        leases = session.execute(select(func.max(OutboxEmail.lease_until))).scalar_one()
    smtp.rcpt_delay = 0
    # The killed sender's claims are honoured until its lease ends; then the re-run takes them over.
    if leases is not None:
        time.sleep(max((leases - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds(), 0) + 0.2)
    summary = finish(sender(sample_url, smtp, tmp_path))
    inbox = smtp.by_recipient()
    assert sorted(inbox) == addresses
    for address in addresses:
        ids = {m["Message-ID"] for m in inbox[address]}
        assert len(ids) == 1, f"{address} got {len(ids)} different digests"
    raw = smtp.count()
    # A message in flight at the kill (accepted by SMTP, not yet recorded: at most one per connection)
    # may be delivered twice, with the same Message-ID; nothing else may be.
    assert raw - len(addresses) <= CONNECTIONS
    assert raw == delivered_before + summary["sent"]
    with Session(sample_engine) as session:
        rows = session.execute(select(OutboxEmail)).scalars().all()
    assert len(rows) == len(addresses)
    assert {r.state for r in rows} == {"sent"}
    resent = [r for r in rows if r.last_error == INTERRUPTED]
    assert len(resent) <= CONNECTIONS
    assert summary["resent_after_crash"] == len(resent)


def test_two_senders_at_once_send_each_digest_once(
    sample_url: str, sample_engine: Engine, smtp: Sink, tmp_path: Path
) -> None:
    addresses = subscribe_many(sample_engine, 16)
    smtp.rcpt_delay = 0.05
    one, two = sender(sample_url, smtp, tmp_path, lease=30), sender(sample_url, smtp, tmp_path, lease=30)
    first, second = finish(one), finish(two)
    inbox = smtp.by_recipient()
    assert sorted(inbox) == addresses
    assert all(len(messages) == 1 for messages in inbox.values())
    assert first["sent"] + second["sent"] == len(addresses)  # type: ignore[operator]
    assert first["failed"] == second["failed"] == 0
