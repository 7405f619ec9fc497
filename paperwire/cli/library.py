"""Commands for a user's library: JSON export/import, BibTeX, recommendations, and `eval recommend`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.accounts.service import find_user
from paperwire.cli import AppContext, pass_app
from paperwire.db.migrate import upgrade
from paperwire.db.session import make_sessionmaker, session_scope
from paperwire.digest.account_export import export_account, import_account
from paperwire.library.bibtex import bibtex_for_papers
from paperwire.library.errors import LibraryError
from paperwire.library.export import import_bibtex
from paperwire.library.tags import get_tag, tag_papers


def _user(session: Session, email: str) -> User:
    user = find_user(session, email.strip().lower()) or find_user(session, email.strip())
    if user is None:
        raise click.ClickException(f"no user with email {email!r}")
    return user


@click.group("library")
def library() -> None:
    """Export and import a user's library (tags, notes, ratings, saved searches, follows) and BibTeX."""


@library.command("export")
@click.option("--user", "email", required=True, help="The user's email.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@pass_app
def export_cmd(app: AppContext, email: str, out: Path | None) -> None:
    """Write everything the user has as one JSON file."""
    upgrade(app.engine)
    with make_sessionmaker(app.engine)() as session:
        data = export_account(session, _user(session, email).id)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(
        f"Wrote {out} ({sum(len(t['papers']) for t in data['tags'])} saved papers, {len(data['tags'])} tags)"
    )


@library.command("import")
@click.option("--user", "email", required=True, help="The user's email.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_cmd(app: AppContext, email: str, file: Path) -> None:
    """Merge a library JSON export into the user's library; papers this store lacks are listed."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: not a JSON file: {exc}") from None
    upgrade(app.engine)
    try:
        with session_scope(make_sessionmaker(app.engine)) as session:
            report = import_account(session, _user(session, email).id, data)
    except LibraryError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    click.echo(json.dumps(report.as_dict()))


@library.command("bibtex")
@click.option("--user", "email", required=True, help="The user's email.")
@click.option("--tag", required=True, help="The tag to export.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@pass_app
def bibtex_cmd(app: AppContext, email: str, tag: str, out: Path | None) -> None:
    """Print a tag's papers as BibTeX."""
    upgrade(app.engine)
    with make_sessionmaker(app.engine)() as session:
        try:
            row = get_tag(session, _user(session, email).id, tag)
        except LibraryError as exc:
            raise click.ClickException(str(exc)) from None
        text = bibtex_for_papers(tag_papers(session, row.id), keyword=row.name)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@library.command("import-bibtex")
@click.option("--user", "email", required=True, help="The user's email.")
@click.option("--tag", required=True, help="Save the matched papers under this tag.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_bibtex_cmd(app: AppContext, email: str, tag: str, file: Path) -> None:
    """Save the papers of a BibTeX file (matched by arXiv id, DOI or title) under a tag: a cold start."""
    upgrade(app.engine)
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
        with session_scope(make_sessionmaker(app.engine)) as session:
            report = import_bibtex(session, _user(session, email).id, text, tag)
    except LibraryError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    click.echo(json.dumps(report.as_dict()))


@click.command("recommend")
@click.option("--user", "email", required=True, help="The user's email.")
@click.option("--tag", help="Recommend for this tag (default: the whole library).")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def recommend(app: AppContext, email: str, tag: str | None, limit: int, as_json: bool) -> None:
    """Recent papers like the user's saved ones, each with the reason it was picked."""
    from paperwire.library.recommend import recommend as recommend_papers  # sklearn: slow to import

    upgrade(app.engine)
    with make_sessionmaker(app.engine)() as session:
        try:
            result = recommend_papers(session, app.settings, _user(session, email).id, tag, limit)
        except LibraryError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.as_dict()))
        return
    if result.message:
        click.echo(result.message)
    for n, item in enumerate(result.items, 1):
        click.echo(f"{n:>3}. {item.arxiv_id}  {item.title}  [{item.score:+.3f}]")
        why = []
        if item.closest:
            why.append(
                "close to " + "; ".join(f"{c['title'][:60]} ({c['similarity']:.2f})" for c in item.closest)
            )
        if item.terms:
            why.append("words: " + ", ".join(item.terms))
        if item.by:
            why.append("by " + ", ".join(item.by))
        if why:
            click.echo(f"     why: {' | '.join(why)}")


@click.command("recommend")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--max-authors", type=click.IntRange(1), default=500, show_default=True)
@click.option(
    "--embeddings/--no-embeddings",
    default=True,
    show_default=True,
    help="Add sentence embeddings (cached in the data directory).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def eval_recommend(
    app: AppContext, directory: Path, max_authors: int, embeddings: bool, as_json: bool
) -> None:
    """Recommender vs nearest-neighbour and recency baselines on arxiv-daily files (recall@20, nDCG@20)."""
    from paperwire.library.evaluate import evaluate

    def say(message: str) -> None:
        click.echo(message, err=True)

    try:
        result = evaluate(
            directory,
            app.settings,
            max_authors=max_authors,
            use_embeddings=embeddings,
            progress=say if sys.stderr.isatty() else None,
        )
    except LibraryError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"{result['files']} files, {result['papers']} papers, {result['evaluated_authors']} authors "
        f"(of {result['eligible_authors']} with >= 6 papers); features: {result['features']}"
    )
    for method in (
        "recommender",
        "nearest",
        "recency",
        "recommender_without_authors",
        "nearest_same_features",
    ):
        scores = result[method]
        click.echo(f"{method:>28}: recall@20 {scores['recall@20']:.4f}  nDCG@20 {scores['ndcg@20']:.4f}")


COMMANDS: list[click.Command] = [library, recommend]
EVAL_COMMANDS: list[click.Command] = [eval_recommend]
