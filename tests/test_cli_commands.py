"""The CLI's explicit command list (paperwire/cli/__init__.py) names every command of every area once."""

from __future__ import annotations

import importlib

from click.testing import CliRunner

from paperwire.cli import COMMANDS, EVAL_COMMANDS, cli


def _defined(listed: str, modules: set[str]) -> dict[str, str]:
    found = {}
    for name in sorted(modules):
        for command in getattr(importlib.import_module(f"paperwire.cli.{name}"), listed, []):
            found[str(command.name)] = name
    return found


def test_every_command_is_listed_with_its_module() -> None:
    modules = set(COMMANDS.values()) | set(EVAL_COMMANDS.values())
    assert _defined("COMMANDS", modules) == COMMANDS
    assert _defined("EVAL_COMMANDS", modules) == EVAL_COMMANDS


def test_help_lists_them_all() -> None:
    shown = CliRunner().invoke(cli, ["--help"]).output
    assert all(f"  {name} " in shown for name in COMMANDS)
    shown = CliRunner().invoke(cli, ["eval", "--help"]).output
    assert all(f"  {name} " in shown for name in EVAL_COMMANDS)
