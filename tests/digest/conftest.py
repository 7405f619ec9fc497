"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it accepts and can be told to refuse,
plus stores holding the bundled real sample, for the digest tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, create_engine, text

from paperwire.config import Settings, load_settings
from paperwire.db.migrate import upgrade
from paperwire.db.session import make_engine
from paperwire.ingest.runner import run_ingest
from paperwire.sample import SAMPLE_SOURCES
from tests.conftest import POSTGRES_ADMIN_URL

# Sample weekdays with daily lists (June 2026): Mon 15 .. Fri 19, Mon 22.
MONDAY = "2026-06-15"


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Sink:
    """What the SMTP server accepted, and how it should misbehave."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(
        default_factory=dict
    )  # address -> reply to RCPT, e.g. "550 5.1.1 no such user"
    fail_next: list[str] = field(
        default_factory=list
    )  # replies to the next DATA commands, e.g. "451 try later"
    rcpt_delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received if address in r.recipients]

    def received_messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def by_recipient(self) -> dict[str, list[EmailMessage]]:
        out: dict[str, list[EmailMessage]] = {}
        with self.lock:
            for r in self.received:
                for address in r.recipients:
                    out.setdefault(address, []).append(r.message)
        return out

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.fail_next:
                return self.fail_next.pop(0)
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[Sink]:
    sink = Sink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def make_settings(tmp_path: Path, sink: Sink, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "secret_key": "digest-test-secret",
        "smtp_url": f"{sink.url}?timeout=5",
        "mail_from": "paperwire <digest@paperwire.test>",
        "base_url": "https://paperwire.test",
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(tmp_path: Path, smtp: Sink) -> Settings:
    return make_settings(tmp_path, smtp)


def load_sample(engine: Engine, settings: Settings) -> None:
    for source, targets in SAMPLE_SOURCES:
        run_ingest(engine, source, targets, settings)


@pytest.fixture(scope="session")
def sample_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample loaded once into a SQLite file; tests get a copy."""
    folder = tmp_path_factory.mktemp("digest-sample")
    path = folder / "sample.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    load_sample(eng, load_settings(data_dir=folder, secret_key="x"))
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def sample_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database holding the sample, loaded once per session."""
    if not POSTGRES_ADMIN_URL:
        pytest.skip("PAPERWIRE_TEST_POSTGRES_URL is not set (bash .ci/run sets it)")
    name = f"pw_digest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    eng = make_engine(url)
    upgrade(eng)
    load_sample(eng, load_settings(data_dir=tmp_path_factory.mktemp("pg-sample"), secret_key="x"))
    eng.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sample_url(request: pytest.FixtureRequest, sample_sqlite_file: Path, tmp_path: Path) -> str:
    """A store holding the real sample with no digest data yet, on each backend.

    SQLite: a copy of a file loaded once. PostgreSQL: one database loaded once per session whose
    digest tables and rate-limit counts (the subscribe form is limited per IP) are emptied for each test
    (the tests never change the papers).
    """
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        shutil.copy(sample_sqlite_file, path)
        return f"sqlite:///{path}"
    url = str(request.getfixturevalue("sample_postgres"))
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE digest_sent_papers, digest_outbox, digest_subscriptions, rate_limits"
                " RESTART IDENTITY CASCADE"
            )
        )
    eng.dispose()
    return url


@pytest.fixture
def sample_engine(sample_url: str) -> Iterator[Engine]:
    eng = make_engine(sample_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_sample_engine(sample_sqlite_file: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "store.db"
    shutil.copy(sample_sqlite_file, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()
