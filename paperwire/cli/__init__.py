"""The ``paperwire`` command: one click group, one module per area of commands.

Starting fast is a feature (``paperwire --help`` and ``paperwire stats`` in a fraction of a second),
so this package follows two rules, which ``tests/test_cli_startup.py`` checks:

- Every command is listed in ``COMMANDS`` below (its module and its help line): ``paperwire --help``
  imports no command module, and a command runs with only its own module imported.
- In a command module, import engines (SQLAlchemy, numpy, ONNX Runtime, tantivy, FastAPI...) inside
  the function that uses them, so that the module's other commands and ``--help`` stay fast.

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

# Each command: the module under paperwire.cli whose COMMANDS list defines it, and the line `--help`
# shows for it (its docstring's first sentence; tests/test_cli_startup.py keeps the two equal).
COMMANDS: dict[str, tuple[str, str]] = {
    "claims": (
        "claims",
        'Quantitative claims in abstracts ("2x faster", "-61% memory"): extract them, store them.',
    ),
    "config": (
        "config",
        "Show the effective settings (secrets masked), from PAPERWIRE_* variables and flags.",
    ),
    "daily": ("store", "Print a day's community list, most upvoted first."),
    "digest": ("digest", "Preview and send email digests."),
    "index": ("search", "Build or update the search indexes (keyword and vectors) from the store."),
    "ingest": ("ingest", "Store papers from SOURCE: files (.gz too), directories of them, or URLs."),
    "init": ("store", "Create the database, or upgrade it to the newest schema."),
    "library": (
        "library",
        "Export and import a user's library (tags, notes, ratings, saved searches, follows) and BibTeX.",
    ),
    "load-sample": ("store", "Load the bundled real sample (four weeks of daily lists, about 600 papers)."),
    "model": ("model", "The embedding model used for semantic search (all-MiniLM-L6-v2)."),
    "recommend": ("library", "Recent papers like the user's saved ones, each with the reason it was picked."),
    "search": ("search", "Search titles, abstracts and authors."),
    "serve": ("web", "Run the web app: daily papers, search, paper pages, accounts, JSON API and feeds."),
    "similar": ("search", "Papers nearest to ARXIV_ID by the meaning of their title and abstract."),
    "stats": ("store", "Count papers, daily-list entries, authors and ingestion runs."),
    "status": (
        "status",
        "Show each source's last run, the newest data, gaps, index lag and the digest outbox.",
    ),
    "subscribe": (
        "digest",
        "Subscribe EMAIL to digests: sends the confirmation link, and nothing else until it is clicked.",
    ),
    "subscribers": ("digest", "Manage digest subscribers."),
    "unsubscribe": ("digest", "Stop all digests to EMAIL."),
    "users": ("web", "Manage accounts: create (e.g. the first admin), promote, disable, make API tokens."),
}
# The same for `paperwire eval NAME`, from each module's EVAL_COMMANDS list.
EVAL_COMMANDS: dict[str, tuple[str, str]] = {
    "beir": (
        "search",
        "Load a BEIR collection into a scratch store, index it, and print nDCG@10, Recall@100 and MRR@10.",
    ),
    "recommend": (
        "library",
        "Recommender vs nearest-neighbour and recency baselines on arxiv-daily files (recall@20, nDCG@20).",
    ),
}


class AppContext:
    """What every command needs: settings and the store's engine, each made on first use and neither
    from the other, so a command that needs neither (`claims extract`) starts without pydantic or
    SQLAlchemy, and one that needs only the store (`stats`) without pydantic."""

    def __init__(self, database_url: str | None = None, data_dir: Path | None = None):
        self._database_url = database_url
        self._data_dir = data_dir

    @cached_property
    def settings(self) -> Settings:
        from paperwire.cli.errors import checked_settings

        return checked_settings(database_url=self._database_url, data_dir=self._data_dir)

    @cached_property
    def engine(self) -> Engine:
        from paperwire.cli.errors import open_engine

        return open_engine(database_url=self._database_url, data_dir=self._data_dir)


pass_app = click.make_pass_decorator(AppContext)


class LazyGroup(click.Group):
    """Commands from a table of name -> (module, help line): a module is imported only when it runs."""

    def __init__(self, *args: object, table: dict[str, tuple[str, str]], attribute: str, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.table = table
        self.attribute = attribute

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.table, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.table:
            return super().get_command(ctx, cmd_name)
        module = importlib.import_module(f"{__name__}.{self.table[cmd_name][0]}")
        for command in getattr(module, self.attribute):
            if command.name == cmd_name:
                return command  # type: ignore[no-any-return]
        raise RuntimeError(f"{module.__name__}.{self.attribute} has no command {cmd_name!r}")

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # stand-ins carrying the table's help line, shortened by click as it shortens a command's own
        rows = {name: click.Command(name, help=help_line) for name, (_, help_line) in self.table.items()}
        rows.update(self.commands)
        width = formatter.width - 6 - max(map(len, rows))
        with formatter.section("Commands"):
            formatter.write_dl([(name, rows[name].get_short_help_str(width)) for name in sorted(rows)])

    def invoke(self, ctx: click.Context) -> object:
        """Turns unexpected failures into one-line errors instead of tracebacks."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if "--traceback" in sys.argv or ctx.meta.get("traceback"):
                raise
            from paperwire.cli.errors import one_line

            raise click.ClickException(one_line(exc)) from exc


@click.group(
    cls=LazyGroup,
    table=COMMANDS,
    attribute="COMMANDS",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    help="Store URL, e.g. sqlite:///path/to.db or postgresql+psycopg://user@host/db "
    "[env PAPERWIRE_DATABASE_URL; default: SQLite in the data directory].",
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


@cli.group("eval", cls=LazyGroup, table=EVAL_COMMANDS, attribute="EVAL_COMMANDS")
def evaluate() -> None:
    """Measure search and recommendation quality on real collections."""
