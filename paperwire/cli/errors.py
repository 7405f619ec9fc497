"""Turning configuration and connection failures into one line that says what to do.

Imported only when a command runs (or fails): it brings pydantic and SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from paperwire.config import Settings

DB_HINT = (
    "--db wants a URL such as sqlite:///path/to.db or postgresql+psycopg://user:password@host:5432/dbname"
)


def checked_settings(*, database_url: str | None, data_dir: Path | None) -> Settings:
    """The settings, with an invalid value or a data directory that cannot be one reported in one line."""
    from pydantic import ValidationError

    from paperwire.config import load_settings

    try:
        settings = load_settings(database_url=database_url, data_dir=data_dir)
    except ValidationError as exc:
        problems = "; ".join(
            f"PAPERWIRE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise click.ClickException(f"invalid setting: {problems}") from None
    _check_data_dir(settings.data_dir)
    return settings


def _check_data_dir(data_dir: Path) -> None:
    """Refuses a data directory that cannot be one, before anything tries to create it."""
    if data_dir.exists() and not data_dir.is_dir():
        raise click.ClickException(
            f"--data-dir {data_dir} is a file; it wants a directory (created if missing)"
        )


def open_engine(*, database_url: str | None, data_dir: Path | None) -> Engine:
    """The store's engine, with a bad URL or an unusable SQLite path reported before any command runs.

    Finds the store without building Settings (see ``paperwire.store_location``), so that a command
    which needs only the store starts without pydantic.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from paperwire.db.session import make_engine
    from paperwire.store_location import store_location

    url, folder = store_location(database_url=database_url, data_dir=data_dir)
    _check_data_dir(folder)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise click.ClickException(f"{url!r} is not a database URL: {DB_HINT}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if path.is_dir():
            raise click.ClickException(
                f"{path} is a directory, not an SQLite database file: {DB_HINT} (e.g. sqlite:///{path}/paperwire.db)"
            )
        if path.parent.exists() and not path.parent.is_dir():
            raise click.ClickException(f"{path.parent} is a file, so {path} cannot be created: {DB_HINT}")
    try:
        return make_engine(url)
    except ArgumentError as exc:
        raise click.ClickException(f"{_first_line(str(exc))}: {DB_HINT}") from None
    except ModuleNotFoundError as exc:
        raise click.ClickException(f"no driver {exc.name!r} for {parsed.drivername}: {DB_HINT}") from None


def _first_line(text: str) -> str:
    """The message without SQLAlchemy's "(Background on this error at: ...)" link and SQL echo."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line.split("(Background on this error")[0].strip()


def one_line(exc: Exception) -> str:
    """An unexpected failure as one line: the message, not the exception class or a library's link."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        reason = _first_line(str(exc.orig)) or _first_line(str(exc))
        reason = reason.removeprefix("connection failed: ")
        return (
            f"cannot use the database: {reason} (check --db / PAPERWIRE_DATABASE_URL; is the server running?)"
        )
    if isinstance(exc, DBAPIError):
        return f"database error: {_first_line(str(exc.orig)) or _first_line(str(exc))}"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return _first_line(str(exc)) or type(exc).__name__
