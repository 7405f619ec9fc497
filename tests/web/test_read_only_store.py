"""A server started while its SQLite file is read-only: reads work, writes answer 503 with a clear
message, and once the file is writable again writes work without a restart (real file, real app)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web.site import PASSWORD, csrf

from paperwire.config import Settings
from paperwire.web.app import create_app


def _lock(path: Path) -> None:
    """Read-only even for root (who ignores permission bits): the immutable attribute, where there is one."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        return
    chattr = shutil.which("chattr")
    done = chattr and subprocess.run([chattr, "+i", str(path)], capture_output=True, check=False)
    if not done or done.returncode != 0:
        pytest.skip("running as root on a filesystem without chattr +i: cannot make the file read-only")


def _unlock(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o644)


@pytest.fixture
def locked_store(settings: Settings) -> Iterator[Path]:
    if not settings.db_url.startswith("sqlite"):
        pytest.skip("a file permission test: SQLite only")
    path = Path(settings.db_url.removeprefix("sqlite:///"))
    _lock(path)
    try:
        yield path
    finally:
        _unlock(path)


def _sign_up(client: TestClient, email: str) -> int:
    data = {"email": email, "password": PASSWORD, "csrf_token": csrf(client, "/signup")}
    return client.post("/signup", data=data).status_code


def test_writes_answer_503_while_read_only_and_recover_without_restart(
    settings: Settings, locked_store: Path
) -> None:
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as client:
        assert client.get("/papers").status_code == 200  # reading works
        refused = client.post(
            "/signup", data={"email": "a@example.org", "password": PASSWORD, "csrf_token": csrf(client)}
        )
        assert refused.status_code == 503
        assert "read-only" in refused.text
        api = client.post("/api/papers/2606.26740/upvote", headers={"Authorization": "Bearer pw_nothing"})
        assert api.status_code in (401, 503)  # the token lookup itself only reads
        _unlock(locked_store)
        try:
            assert _sign_up(client, "b@example.org") == 200  # the same process, writable again
            assert _sign_up(client, "c@example.org") == 200
        finally:
            _lock(locked_store)
    app.state.engine.dispose()
