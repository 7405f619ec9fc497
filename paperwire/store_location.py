"""Where the store is, without building Settings: importing pydantic and pydantic-settings costs about
100 ms on a 2-core machine, a fifth of what a command that needs only the store (``paperwire stats``) took.

``paperwire.config.Settings`` takes its defaults from here; ``tests/test_store_location.py`` checks that
``store_location`` reads the environment as Settings does.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    return Path.cwd() / "data"


def default_db_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'paperwire.db'}"


def store_location(*, database_url: str | None, data_dir: Path | None) -> tuple[str, Path]:
    """``load_settings(database_url=..., data_dir=...)``'s ``db_url`` and ``data_dir``: a flag given
    wins, then PAPERWIRE_DATABASE_URL / PAPERWIRE_DATA_DIR (names matched case-insensitively, as
    Settings matches them), then the defaults."""
    env = {name.upper(): value for name, value in os.environ.items()}
    if data_dir is None:
        folder = env.get("PAPERWIRE_DATA_DIR")
        data_dir = default_data_dir() if folder is None else Path(folder)
    if database_url is None:
        database_url = env.get("PAPERWIRE_DATABASE_URL")
    return database_url or default_db_url(data_dir), data_dir
