"""Shared fixtures: a fresh store on SQLite and on a real PostgreSQL server, and the real data paths.

PostgreSQL comes from PAPERWIRE_TEST_POSTGRES_URL (an admin URL; ``.ci/run`` starts the server and
sets it). Each test gets its own database, created and dropped around it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from paperwire.db.migrate import upgrade
from paperwire.db.session import make_engine

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"
POSTGRES_ADMIN_URL = os.environ.get("PAPERWIRE_TEST_POSTGRES_URL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if POSTGRES_ADMIN_URL or not os.environ.get("CI"):
        return
    raise pytest.UsageError(
        "CI=true but PAPERWIRE_TEST_POSTGRES_URL is not set: PostgreSQL tests would be skipped"
    )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test."""
    yield from _temporary_postgres_database()


def _temporary_postgres_database() -> Iterator[str]:
    if not POSTGRES_ADMIN_URL:
        pytest.skip("PAPERWIRE_TEST_POSTGRES_URL is not set (bash .ci/run sets it)")
    name = f"pw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store's URL, once per backend: tests using it run on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'paperwire.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'paperwire.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty store on each backend."""
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    eng = make_engine(sqlite_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is not present")
    return SHARED_DATA


@pytest.fixture
def postgres_or_sqlite_twin(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second, empty store on the same backend as ``database_url`` (for comparing two runs)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'twin.db'}"
    return str(request.getfixturevalue("postgres_url_twin"))


@pytest.fixture
def postgres_url_twin() -> Iterator[str]:
    yield from _temporary_postgres_database()
