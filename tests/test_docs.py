"""Documentation that cannot drift: README's settings table and every command's --help."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.cli.config import settings_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_settings_table_is_current() -> None:
    text = README.read_text()
    match = re.search(r"<!-- settings-table -->\n(.*)\n<!-- /settings-table -->", text, re.DOTALL)
    assert match, "README lacks the settings-table markers"
    assert match.group(1) == settings_markdown(), "run: paperwire config --markdown, and paste it into README"


def walk(group: click.Group, prefix: list[str]) -> list[list[str]]:
    found = []
    for name, command in group.commands.items():
        found.append([*prefix, name])
        if isinstance(command, click.Group):
            found.extend(walk(command, [*prefix, name]))
    return found


def test_every_command_has_help() -> None:
    for path in walk(cli, []):
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        command = cli
        for name in path:
            assert isinstance(command, click.Group)
            command = command.commands[name]  # type: ignore[assignment]
        assert command.help, f"`paperwire {' '.join(path)}` has no help text"
