"""Fixtures for in-process web tests: the real app over a migrated store (SQLite and PostgreSQL) with a
real Hugging Face daily list, and a real SMTP server on 127.0.0.1 catching account emails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web.site import DAY, FIXTURES, Inbox, free_port

from paperwire.config import Settings, load_settings
from paperwire.ingest.runner import run_ingest
from paperwire.web.app import create_app


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture
def settings(tmp_path: Path, engine: Engine, inbox: Inbox) -> Settings:
    """Settings for the parametrised store (SQLite and PostgreSQL) with one real HF daily list in it."""
    result = load_settings(
        data_dir=tmp_path / "data",
        database_url=engine.url.render_as_string(hide_password=False),
        smtp_url=f"smtp://127.0.0.1:{inbox.port}",
        base_url="http://testserver",
    )
    run_ingest(engine, "hf-daily", [str(FIXTURES / "hf_daily" / f"{DAY}.json")], result)
    return result


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
    app.state.engine.dispose()
