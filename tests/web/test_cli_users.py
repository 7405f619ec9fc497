"""``paperwire users``: bootstrap an admin, change roles, disable; clear one-line errors."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.cli import cli
from paperwire.db.session import make_engine


def run(tmp_path: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *args], input=stdin)
    return result.exit_code, result.output


def test_create_admin_then_change_role_and_disable(tmp_path: Path) -> None:
    code, out = run(
        tmp_path, "users", "create", "Boss@Example.org", "--admin", stdin="long password\nlong password\n"
    )
    assert code == 0 and "created admin boss@example.org" in out
    engine = make_engine(f"sqlite:///{tmp_path / 'paperwire.db'}")
    with Session(engine) as db:
        user = db.scalars(select(User)).one()
        assert (user.role, user.email_verified, user.disabled) == ("admin", True, False)
        assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert run(tmp_path, "users", "role", "boss@example.org", "user")[0] == 0
    assert run(tmp_path, "users", "disable", "boss@example.org")[0] == 0
    with Session(engine) as db:
        user = db.scalars(select(User)).one()
        assert (user.role, user.disabled) == ("user", True)
    engine.dispose()


def test_errors_are_one_line(tmp_path: Path) -> None:
    code, out = run(tmp_path, "users", "create", "nope", "--password", "long password")
    assert code == 1 and out.strip() == "Error: enter a valid email address, like ada@example.org"
    code, out = run(tmp_path, "users", "create", "a@example.org", "--password", "short")
    assert code == 1 and "at least 8 characters" in out
    run(tmp_path, "users", "create", "a@example.org", "--password", "long password")
    code, out = run(tmp_path, "users", "create", "a@example.org", "--password", "long password")
    assert code == 1 and "already exists" in out
    code, out = run(tmp_path, "users", "disable", "ghost@example.org")
    assert code == 1 and out.strip() == "Error: no account with email ghost@example.org"
