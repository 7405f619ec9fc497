"""``paperwire config``: the effective settings, and the table README documents them with."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from paperwire.cli import AppContext, pass_app

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

SECRET = ("secret_key", "smtp_url", "database_url")


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        return "(computed)"
    return "(none)" if info.default is None else f"`{info.default}`"


def settings_markdown() -> str:
    """One row per setting; README embeds this table and a test keeps the two identical."""
    from paperwire.config import Settings

    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        rows.append(f"| `PAPERWIRE_{name.upper()}` | {_default(info)} | {info.description} |")
    return "\n".join(rows)


@click.command("config")
@click.option("--markdown", is_flag=True, help="Print the documentation table of every setting.")
@pass_app
def config(app: AppContext, markdown: bool) -> None:
    """Show the effective settings (secrets masked), from PAPERWIRE_* variables and flags."""
    if markdown:
        click.echo(settings_markdown())
        return
    values = app.settings.model_dump(mode="json")
    for name in SECRET:
        if values.get(name) and name != "database_url":
            values[name] = "***"
    values["database_url"] = app.engine.url.render_as_string(hide_password=True)
    click.echo(json.dumps(values, indent=2))


COMMANDS: list[click.Command] = [config]
