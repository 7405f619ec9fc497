"""Create or upgrade a database to the newest schema with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")


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
    # Feature packages branch off the core revision, so there may be several heads.
    command.upgrade(alembic_config(engine), "heads")


def is_current(engine: Engine) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads
