"""The CLI starts fast: `import paperwire.cli`, `paperwire --help` and `paperwire stats` leave the heavy
libraries unimported, and the table of commands matches the commands themselves."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import paperwire.cli
from paperwire.cli import COMMANDS, EVAL_COMMANDS, cli

HEAVY = ("numpy", "sqlalchemy.dialects", "onnxruntime", "tantivy", "fastapi", "sklearn", "torch", "alembic")


def _modules_after(code: str, tmp_path: Path) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PAPERWIRE_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env, timeout=120
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def _heavy(modules: set[str], allowed: tuple[str, ...] = ()) -> list[str]:
    return sorted(
        m
        for m in modules
        if any(m == h or m.startswith(h + ".") for h in HEAVY)
        and not any(m == a or m.startswith(a + ".") for a in allowed)
    )


def test_importing_the_cli_pulls_no_heavy_library(tmp_path: Path) -> None:
    modules = _modules_after("import paperwire.cli", tmp_path)
    assert _heavy(modules) == []
    assert "sqlalchemy" not in modules
    assert "pydantic" not in modules


def test_help_imports_no_command_module_and_no_heavy_library(tmp_path: Path) -> None:
    code = "from paperwire.cli import cli\ntry:\n    cli(['--help'], prog_name='paperwire')\nexcept SystemExit:\n    pass"
    modules = _modules_after(code, tmp_path)
    assert _heavy(modules) == []
    assert not [m for m in modules if m.startswith("paperwire.cli.") and m != "paperwire.cli.params"]


def test_stats_loads_only_the_store(tmp_path: Path) -> None:
    run = "from paperwire.cli import cli\ntry:\n    cli([{!r}], prog_name='paperwire')\nexcept SystemExit:\n    pass"
    _modules_after(run.format("init"), tmp_path)  # migrating needs alembic; counting must not
    modules = _modules_after(run.format("stats"), tmp_path)
    assert _heavy(modules, allowed=("sqlalchemy.dialects",)) == []
    assert "sqlalchemy.dialects.sqlite" in modules  # it did count, through SQLAlchemy Core
    dialects = {m.split(".")[2] for m in modules if m.startswith("sqlalchemy.dialects.")}
    assert dialects - {"_typing"} == {"sqlite"}
    # Counting needs neither the ORM nor the models (whose postgresql_where index option loads the
    # PostgreSQL dialect), nor Settings (pydantic-settings): together half of the start-up.
    lean = ("sqlalchemy.orm", "paperwire.db.models", "pydantic", "pydantic_settings", "paperwire.config")
    assert sorted(m for m in modules if any(m == x or m.startswith(x + ".") for x in lean)) == []


def _commands(attribute: str) -> dict[str, tuple[str, click.Command]]:
    found = {}
    for info in pkgutil.iter_modules(paperwire.cli.__path__):
        module = importlib.import_module(f"paperwire.cli.{info.name}")
        for command in getattr(module, attribute, []):
            found[command.name] = (info.name, command)
    return found


@pytest.mark.parametrize(("attribute", "table"), [("COMMANDS", COMMANDS), ("EVAL_COMMANDS", EVAL_COMMANDS)])
def test_the_command_table_lists_every_command_with_its_own_help(
    attribute: str, table: dict[str, tuple[str, str]]
) -> None:
    """A command missing from paperwire/cli/__init__.py's table would be unreachable: add it there."""
    found = _commands(attribute)
    assert set(table) == set(found)
    for name, (module, command) in found.items():
        assert table[name] == (module, command.get_short_help_str(200)), name


def test_every_command_answers_help() -> None:
    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert all(name in result.output for name in COMMANDS)
