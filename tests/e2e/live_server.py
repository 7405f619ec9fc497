"""A store loaded with the bundled sample, and the real app served by uvicorn on 127.0.0.1 in a thread.

Shared by the browser tests (``tests/e2e``) and the HTTP-level tests under ``tests/web`` that need a
real socket (concurrency), so every one of them exercises the same server stack a user gets.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from e2e.smtp_sink import SmtpSink
from sqlalchemy import Engine, create_engine, text

from paperwire.config import Settings, load_settings
from paperwire.db.migrate import upgrade
from paperwire.db.session import make_engine
from paperwire.ingest.runner import run_ingest
from paperwire.sample import SAMPLE_SOURCES


@dataclass
class LiveApp:
    """What the browser tests get: the server's URL, its settings, its mailbox and two papers to submit."""

    url: str
    settings: Settings
    smtp: SmtpSink
    fresh_paper: str  # in the store, on no list, published days ago: what a user may submit today
    old_paper: str  # in the store, on no list, published long ago: too old to submit


TEST_SECRET = "e2e-test-secret-key-not-for-production-0123456789"


def load_sample(engine: Engine, settings: Settings) -> None:
    """Migrate and ingest the bundled sample exactly as `paperwire load-sample` does."""
    upgrade(engine)
    for source, targets in SAMPLE_SOURCES:
        run_ingest(engine, source, targets, settings)


def add_papers(settings: Settings, records: list[dict[str, Any]]) -> None:
    """Store extra papers through the generic JSON Lines source (the same path `paperwire ingest jsonl` takes)."""
    path = settings.data_dir / f"extra-{uuid.uuid4().hex[:8]}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    engine = make_engine(settings.db_url)
    try:
        summary = run_ingest(engine, "jsonl", [str(path)], settings)
    finally:
        engine.dispose()
    assert summary.errors == 0, f"extra papers were refused: {summary.as_dict()}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database on PAPERWIRE_TEST_POSTGRES_URL's server, dropped afterwards (or a skip)."""
    admin_url = os.environ.get("PAPERWIRE_TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("PAPERWIRE_TEST_POSTGRES_URL is not set (bash .ci/run sets it)")
    name = f"pw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Ingest parses inline (no worker processes): the sample is small and tests should not fork."""
    overrides.setdefault("ingest_workers", 0)
    return load_settings(data_dir=data_dir, database_url=database_url, secret_key=TEST_SECRET, **overrides)


def sample_store(data_dir: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    """A fresh store holding the bundled sample; returns the settings that point at it."""
    url = database_url or f"sqlite:///{data_dir / 'paperwire.db'}"
    settings = make_settings(data_dir, url, **overrides)
    engine = make_engine(url)
    try:
        load_sample(engine, settings)
    finally:
        engine.dispose()
    return settings


def loopback_socket() -> socket.socket:
    """Bound before the app is made, so the app's ``base_url`` (used in mailed links) has the real port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def base_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serve(app: Any, sock: socket.socket, *, startup_timeout: float = 30.0) -> Iterator[str]:
    """Serve an ASGI app on ``sock`` until the block ends; yields its base URL."""
    # The same logging as `paperwire serve`, so tests that read the logs see what an operator's logs hold.
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the live server did not start (see the log above)")
        time.sleep(0.02)
    try:
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
