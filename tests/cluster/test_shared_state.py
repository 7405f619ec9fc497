"""What nodes of one store share (the signing key, job locks), /healthz and /readyz, and `users token`.

Fast, on SQLite and PostgreSQL; the multi-process behaviour is in test_cluster.py.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.accounts.service import create_user
from paperwire.accounts.sessions import user_for_api_token
from paperwire.cli import cli
from paperwire.config import load_settings
from paperwire.db.cluster import JobLock, shared_secret
from paperwire.db.migrate import is_current, upgrade
from paperwire.db.session import make_engine
from paperwire.ingest.runner import run_ingest
from paperwire.search import indexer
from paperwire.web.app import create_app


def _paper(path: Path, arxiv_id: str, title: str) -> str:
    path.write_text(json.dumps({"id": arxiv_id, "title": title, "abstract": "An abstract."}) + "\n")
    return str(path)


def test_every_node_gets_the_same_key_and_an_old_node_keeps_its_own(engine: Engine, tmp_path: Path) -> None:
    legacy = tmp_path / "secret_key"
    legacy.write_text("the-key-this-node-signed-with-before\n")
    assert shared_secret(engine, legacy_file=legacy) == "the-key-this-node-signed-with-before"
    assert shared_secret(engine) == shared_secret(engine, legacy_file=None)  # created once, read after
    url = engine.url.render_as_string(hide_password=False)
    one = load_settings(data_dir=tmp_path / "a", database_url=url)
    two = load_settings(data_dir=tmp_path / "b", database_url=url)
    assert one.secret() == two.secret() == "the-key-this-node-signed-with-before"


def test_a_job_lock_has_one_holder_and_passes_on_when_it_is_gone(engine: Engine) -> None:
    first = JobLock(engine, "digest-schedule", lease=dt.timedelta(seconds=0.5))
    second = JobLock(engine, "digest-schedule", lease=dt.timedelta(seconds=0.5))
    assert first.acquire() and first.acquire()  # renewing what it holds
    assert not second.acquire()
    assert JobLock(engine, "another-job").acquire()
    first.release()
    assert second.acquire() and not first.acquire()
    if engine.dialect.name == "postgresql":
        assert second._conn is not None
        second._conn.invalidate()  # the holder's connection dies (a killed node): the server frees the lock
    deadline = time.monotonic() + 10  # the server notices the closed connection / the lease runs out
    while not first.acquire() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert first.held
    first.release()
    second.release()


def test_readyz_reports_the_nodes_own_index_lag(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    settings = load_settings(data_dir=tmp_path / "node", database_url=url, secret_key="k")
    run_ingest(engine, "jsonl", [_paper(tmp_path / "a.jsonl", "2401.00001", "First paper")], settings)
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"ok": True}
        not_indexed = client.get("/readyz")
        assert not_indexed.status_code == 503
        assert not_indexed.json()["ready"] is False and not_indexed.json()["index_lag"] == 1
        indexer.catch_up(settings, engine, use_model=False)
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["index_lag"] == 0 and ready.json()["ready"] is True
        run_ingest(engine, "jsonl", [_paper(tmp_path / "b.jsonl", "2401.00002", "Second paper")], settings)
        assert client.get("/readyz").json()["index_lag"] == 1
        settings.ready_max_index_lag = 0
        assert client.get("/readyz").status_code == 503
    app.state.engine.dispose()


def test_users_token_prints_a_working_api_token(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path)]
    assert runner.invoke(cli, [*base, "init"]).exit_code == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'paperwire.db'}")
    with Session(engine) as db:
        create_user(db, "bot@example.org", "long password", verified=True)
    result = runner.invoke(cli, [*base, "users", "token", "Bot@Example.org", "--name", "harvester"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("pw_")
    with Session(engine) as db:
        user = user_for_api_token(db, token)
        assert user is not None and user.email == "bot@example.org"
    missing = runner.invoke(cli, [*base, "users", "token", "nobody@example.org"])
    assert missing.exit_code == 1 and "no account with email nobody@example.org" in missing.output
    engine.dispose()


@pytest.mark.postgres
def test_nodes_starting_together_upgrade_the_schema_once(postgres_url: str) -> None:
    engines = [make_engine(postgres_url) for _ in range(3)]
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        try:
            upgrade(engine)
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert is_current(engines[0])
    for engine in engines:
        engine.dispose()
