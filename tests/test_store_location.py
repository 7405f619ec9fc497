"""``store_location`` (the CLI's way to find the store without pydantic) agrees with Settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paperwire.config import load_settings
from paperwire.store_location import store_location

PG = "postgresql+psycopg://u:secret@db.example:5432/papers"


@pytest.mark.parametrize(
    ("env", "flags"),
    [
        ({}, {}),
        ({"PAPERWIRE_DATA_DIR": "{tmp}/elsewhere"}, {}),
        ({"PAPERWIRE_DATABASE_URL": PG}, {}),
        ({"PAPERWIRE_DATABASE_URL": ""}, {}),
        ({"paperwire_data_dir": "{tmp}/lower", "Paperwire_Database_Url": PG}, {}),
        ({"PAPERWIRE_DATA_DIR": "{tmp}/env", "PAPERWIRE_DATABASE_URL": PG}, {"data_dir": "{tmp}/flag"}),
        ({"PAPERWIRE_DATABASE_URL": PG}, {"database_url": "sqlite:///{tmp}/flag.db"}),
        ({"PAPERWIRE_DATA_DIR": "{tmp}/env"}, {"database_url": ""}),
    ],
)
def test_store_location_reads_flags_and_environment_as_settings_do(
    env: dict[str, str], flags: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in os.environ:
        if name.upper().startswith("PAPERWIRE_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    monkeypatch.chdir(tmp_path)
    given = {"database_url": None, "data_dir": None} | {
        key: Path(value.format(tmp=tmp_path)) if key == "data_dir" else value.format(tmp=tmp_path)
        for key, value in flags.items()
    }
    settings = load_settings(**given)
    assert store_location(**given) == (settings.db_url, settings.data_dir)  # type: ignore[arg-type]
