"""The ``paperwire`` command: one click group, one module per area of commands.

Errors the user can act on are raised as ``click.ClickException`` and printed as one line
(``Error: ...``) with exit status 1; usage errors exit 2.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from paperwire import __version__

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from paperwire.config import Settings

# Every command, with the module of this package that defines it (in its COMMANDS, or EVAL_COMMANDS
# under `eval`). A module is imported only when one of its commands is asked for, so a command starts
# without the others' imports (`claims extract` needs neither pydantic nor SQLAlchemy). A new command
# is added here and to its module's list.
COMMANDS = {
    "claims": "claims",
    "config": "config",
    "daily": "store",
    "digest": "digest",
    "index": "search",
    "ingest": "ingest",
    "init": "store",
    "library": "library",
    "load-sample": "store",
    "model": "model",
    "recommend": "library",
    "search": "search",
    "serve": "web",
    "similar": "search",
    "stats": "store",
    "status": "status",
    "subscribe": "digest",
    "subscribers": "digest",
    "unsubscribe": "digest",
    "users": "web",
}
EVAL_COMMANDS = {"beir": "search", "recommend": "library"}


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
    """Turns unexpected failures into one-line errors instead of tracebacks, and loads each command
    from its module (``lazy``: name -> module) when it is asked for."""

    def __init__(
        self, *args: Any, lazy: Mapping[str, str] | None = None, listed: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})
        self.listed = listed  # the modules' list these commands are in: COMMANDS or EVAL_COMMANDS

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module = importlib.import_module(f"{__name__}.{self.lazy[cmd_name]}")
            for command in getattr(module, self.listed):
                if command.name == cmd_name:
                    self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if "--traceback" in sys.argv or ctx.meta.get("traceback"):
                raise
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc


@click.group(
    cls=Group,
    lazy=COMMANDS,
    listed="COMMANDS",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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
    ctx.obj = AppContext(database_url, data_dir)


def main() -> None:
    cli(prog_name="paperwire")


@cli.group("eval", cls=Group, lazy=EVAL_COMMANDS, listed="EVAL_COMMANDS")
def evaluate() -> None:
    """Measure search and recommendation quality on real collections."""
