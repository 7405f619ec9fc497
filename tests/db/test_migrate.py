"""The schema's one line of migrations: from empty, and from a store made when it had three heads."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from paperwire.db.migrate import FORMER_BRANCHES, alembic_config, is_current, upgrade
from paperwire.db.session import make_engine

HEAD_TABLES = {"papers", "users", "digest_subscriptions", "library_tags"}


def _versions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def _record(engine: Engine, versions: set[str]) -> None:
    """What the version table of a store made by the branched schema holds."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        for version in versions:
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})


def test_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    assert len(script.get_heads()) == 1


def test_upgrade_from_empty(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    assert is_current(engine)
    assert set(inspect(engine).get_table_names()) >= HEAD_TABLES
    upgrade(engine)  # again: nothing to do
    assert is_current(engine)
    engine.dispose()


def test_upgrade_from_the_three_heads(database_url: str) -> None:
    engine = make_engine(database_url)
    command_upgrade_to(engine, FORMER_BRANCHES[-1])
    _record(engine, set(FORMER_BRANCHES))
    with engine.begin() as conn:  # data made then survives
        conn.execute(text("INSERT INTO users (email) VALUES ('a@example.org')"))
        conn.execute(text("INSERT INTO library_tags (user_id, name) VALUES (1, 'reading')"))
    upgrade(engine)
    assert is_current(engine)
    assert len(_versions(engine)) == 1
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM library_tags JOIN users ON users.id = library_tags.user_id")
            ).scalar_one()
            == 1
        )
    engine.dispose()


def test_upgrade_from_two_of_the_three_heads_adds_the_third(database_url: str) -> None:
    """A store whose branched upgrade stopped before the library's tables gets them now."""
    engine = make_engine(database_url)
    command_upgrade_to(engine, "0003_digest")
    _record(engine, {"0002_web", "0003_digest"})
    upgrade(engine)
    assert is_current(engine)
    assert "library_tags" in inspect(engine).get_table_names()
    engine.dispose()


def test_a_gap_in_the_former_branches_is_one_clear_error(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    command_upgrade_to(engine, FORMER_BRANCHES[-1])
    _record(engine, {"0002_web", "0004_library"})
    try:
        upgrade(engine)
    except RuntimeError as exc:
        assert "not 0003_digest" in str(exc)
    else:
        raise AssertionError("a store lacking 0003_digest was upgraded past it")
    engine.dispose()


def command_upgrade_to(engine: Engine, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
