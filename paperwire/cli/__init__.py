"""The ``paperwire`` command: one click group, one module per area of commands.

Errors the user can act on are raised as ``click.ClickException`` and printed as one line
(``Error: ...``) with exit status 1; usage errors exit 2.
"""

from __future__ import annotations

import sys
from functools import cached_property
from pathlib import Path

import click
from sqlalchemy import Engine

from paperwire import __version__
from paperwire.config import Settings, load_settings
from paperwire.db.session import make_engine


class AppContext:
    """What every command needs: settings and, made on first use, the store's engine."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.db_url)


pass_app = click.make_pass_decorator(AppContext)


class Group(click.Group):
    """Turns unexpected failures into one-line errors instead of tracebacks."""

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
    ctx.obj = AppContext(load_settings(database_url=database_url, data_dir=data_dir))


def main() -> None:
    cli(prog_name="paperwire")


@cli.group("eval")
def evaluate() -> None:
    """Measure search and recommendation quality on real collections."""


# Every command, by the module of its area (imported here, below ``cli``, which they decorate with). A
# new command is added to its module's COMMANDS (or EVAL_COMMANDS, under `eval`); a new area, here.
from paperwire.cli import claims, config, digest, ingest, library, model, search, status, store, web  # noqa: E402

for command in (
    *claims.COMMANDS,
    *config.COMMANDS,
    *digest.COMMANDS,
    *ingest.COMMANDS,
    *library.COMMANDS,
    *model.COMMANDS,
    *search.COMMANDS,
    *status.COMMANDS,
    *store.COMMANDS,
    *web.COMMANDS,
):
    cli.add_command(command)
for command in (*library.EVAL_COMMANDS, *search.EVAL_COMMANDS):
    evaluate.add_command(command)
