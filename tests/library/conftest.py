"""Library fixtures: a store holding real papers (from the bundled sample) and two users."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.config import Settings, load_settings
from paperwire.db.models import Paper
from paperwire.db.session import make_sessionmaker
from paperwire.ingest.runner import run_ingest
from paperwire.sample import SAMPLE_SOURCES

SAMPLE_PAPERS = 250


@pytest.fixture(scope="session")
def sample_listing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first SAMPLE_PAPERS records of the bundled real arXiv listings (enough, and quick to ingest)."""
    (source,) = [targets[0] for name, targets in SAMPLE_SOURCES if name == "arxiv-daily"]
    out = tmp_path_factory.mktemp("sample") / "2026-06-30.jsonl.gz"
    with gzip.open(source, "rt") as src, gzip.open(out, "wt") as dst:
        for _, line in zip(range(SAMPLE_PAPERS), src, strict=False):
            dst.write(line)
    return out


def make_user(session: Session, email: str) -> int:
    user = User(
        email=email, display_name=email.split("@")[0], role="user", email_verified=True, disabled=False
    )
    session.add(user)
    session.flush()
    return user.id


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
def store(engine: Engine, settings: Settings, sample_listing: Path) -> Engine:
    """A migrated store (SQLite and PostgreSQL) holding real papers."""
    run_ingest(engine, "arxiv-daily", [str(sample_listing)], settings)
    return engine


@pytest.fixture
def session(store: Engine) -> Iterator[Session]:
    with make_sessionmaker(store)() as s:
        yield s


def two_users(session: Session) -> tuple[int, int]:
    ids = make_user(session, "ada@example.org"), make_user(session, "bob@example.org")
    session.commit()
    return ids


def all_papers(session: Session) -> list[Paper]:
    """The stored papers, newest first (ties by arXiv id), so tests pick stable ones."""
    return list(
        session.execute(select(Paper).order_by(Paper.published.desc().nulls_last(), Paper.arxiv_id)).scalars()
    )


@pytest.fixture
def users(session: Session) -> tuple[int, int]:
    return two_users(session)


@pytest.fixture
def papers(session: Session) -> list[Paper]:
    return all_papers(session)


@pytest.fixture
def sqlite_session(sqlite_engine: Engine, settings: Settings, sample_listing: Path) -> Iterator[Session]:
    """For checks of logic that does not depend on the database: SQLite only, to keep the suite quick."""
    run_ingest(sqlite_engine, "arxiv-daily", [str(sample_listing)], settings)
    with make_sessionmaker(sqlite_engine)() as s:
        yield s
