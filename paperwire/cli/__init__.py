"""The ``paperwire`` command: one click group, one module per area of commands.

Errors the user can act on are raised as ``click.ClickException`` and printed as one line
(``Error: ...``) with exit status 1; usage errors exit 2.
"""

from __future__ import annotations

import importlib
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperwire import __version__

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from paperwire.config import Settings


class AppContext:
    """What every command needs: settings and the store's engine, each made on first use, so a command
    that needs neither (`claims extract`) starts without pydantic or SQLAlchemy."""

    def __init__(self, database_url: str | None = None, data_dir: Path | None = None):
        self._database_url = database_url
        self._data_dir = data_dir

    @cached_property
    def settings(self) -> Settings:
        from paperwire.config import load_settings

        return load_settings(database_url=self._database_url, data_dir=self._data_dir)

    @cached_property
    def engine(self) -> Engine:
        from paperwire.db.session import make_engine

        return make_engine(self.settings.db_url)


pass_app = click.make_pass_decorator(AppContext)


class Group(click.Group):
    """Turns unexpected failures into one-line errors instead of tracebacks, and imports the command
    modules on demand: a command named like its module (`claims`) loads that module alone."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            _register(cmd_name if cmd_name in _MODULES else None)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _register()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if "--traceback" in sys.argv or ctx.meta.get("traceback"):
                raise
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    help="Store URL [env PAPERWIRE_DATABASE_URL; default: SQLite in the data directory].",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Data directory [env PAPERWIRE_DATA_DIR; default ./data].",
)
@click.version_option(__version__, prog_name="paperwire")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, data_dir: Path | None) -> None:
    """paperwire: research-paper discovery you can run yourself.

    Ingest papers from arXiv and Hugging Face, browse the community's daily lists,
    search, and send digests. Run `paperwire COMMAND --help` for each command.
    """
    ctx.obj = AppContext(database_url=database_url, data_dir=data_dir)


def main() -> None:
    cli(prog_name="paperwire")


@cli.group("eval", cls=Group)
def evaluate() -> None:
    """Measure search and recommendation quality on real collections."""


# Every area of commands, by module name: each module adds its COMMANDS (or EVAL_COMMANDS, under `eval`).
# A new area is added here. A command named like its module (`claims`) imports that module alone.
_MODULES = ("claims", "config", "digest", "ingest", "library", "model", "search", "status", "store", "web")
_loaded: set[str] = set()


def _register(only: str | None = None) -> None:
    """Each module of this package adds its ``COMMANDS`` (and ``EVAL_COMMANDS`` under `eval`)."""
    for name in _MODULES if only is None else [only]:
        if name in _loaded:
            continue
        _loaded.add(name)
        module = importlib.import_module(f"{__name__}.{name}")
        for command in getattr(module, "COMMANDS", []):
            cli.add_command(command)
        for command in getattr(module, "EVAL_COMMANDS", []):
            evaluate.add_command(command)
