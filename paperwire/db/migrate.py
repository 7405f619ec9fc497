"""Create or upgrade a database to the newest schema with Alembic: one linear history, one head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")
# These once each branched off 0001_core (three heads); a store made then records which of them it has.
FORMER_BRANCHES = ("0002_web", "0003_digest", "0004_library")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises schema upgrades.
UPGRADE_LOCK = 0x70617065727769  # "paperwi"


def upgrade(engine: Engine) -> None:
    """Nodes starting at the same moment on one PostgreSQL take turns (an advisory lock): Alembic alone
    would let both run the same migration, and the second fail on what the first created."""
    if engine.dialect.name != "postgresql":
        _upgrade(engine)
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": UPGRADE_LOCK})
        try:
            _upgrade(engine)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": UPGRADE_LOCK})
            conn.commit()


def _upgrade(engine: Engine) -> None:
    _join_former_branches(engine)
    command.upgrade(alembic_config(engine), "head")


def _join_former_branches(engine: Engine) -> None:
    """Record a store made while the schema had three heads at its place in today's one line: the last
    former branch before the first it lacks (the migrations that follow then add the ones it lacks)."""
    with engine.begin() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
        if len(current) < 2:
            return
        if not current <= set(FORMER_BRANCHES):
            raise RuntimeError(f"the database records several schema versions: {', '.join(sorted(current))}")
        held = 0
        while held < len(FORMER_BRANCHES) and FORMER_BRANCHES[held] in current:
            held += 1
        if current - set(FORMER_BRANCHES[:held]):
            missing = FORMER_BRANCHES[held]
            raise RuntimeError(
                f"the database has schema versions {', '.join(sorted(current))} but not {missing}; "
                f"upgrade it with the paperwire release that made it first"
            )
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:version)"),
            {"version": FORMER_BRANCHES[held - 1]},
        )


def is_current(engine: Engine) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads
