"""Commands for search: index, search, similar, and `eval beir`."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from paperwire.cli import AppContext, pass_app
from paperwire.db.migrate import upgrade
from paperwire.search import (
    MODES,
    BeirError,
    ModelUnavailable,
    PaperNotFound,
    QueryError,
    SearchHit,
    SearchService,
    evaluate_beir,
    index_exists,
    load_beir,
    load_embedder,
    papers_for,
)


def _service(app: AppContext) -> SearchService:
    if not index_exists(app.settings):
        raise click.ClickException("no search index yet; run `paperwire index` first")
    return SearchService(app.settings, app.engine)


def _titles(app: AppContext, hits: list[SearchHit]) -> dict[int, str]:
    with Session(app.engine) as session:
        return {paper.id: paper.title for paper in papers_for(session, hits)}


def _hit_json(hit: SearchHit, titles: dict[int, str]) -> dict[str, Any]:
    return {
        "arxiv_id": hit.arxiv_id,
        "paper_id": hit.paper_id,
        "score": hit.score,
        "title": titles.get(hit.paper_id, ""),
        "highlights": hit.highlights,
    }


def _print_hits(title: str, hits: list[SearchHit], titles: dict[int, str], *, first: int = 1) -> None:
    table = Table(title=Text(title))
    table.add_column("#", justify="right")
    table.add_column("arXiv")
    table.add_column("score", justify="right")
    table.add_column("Title")
    for rank, hit in enumerate(hits, first):
        # Text, not a markup string: a title may contain Rich markup such as "[/x]".
        table.add_row(str(rank), Text(hit.arxiv_id), f"{hit.score:.3f}", Text(titles.get(hit.paper_id, "")))
    Console().print(table)


@click.command("index")
@click.option("--rebuild", is_flag=True, help="Delete the indexes and build them again from the store.")
@click.option(
    "--follow",
    is_flag=True,
    help="Keep catching up at low priority until stopped (what `paperwire serve` runs beside the web app).",
)
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    help="Embed on the Ray cluster at ADDRESS (host:port, or 'auto'); the driver writes the indexes.",
)
@click.option(
    "--ray-workers",
    type=click.IntRange(1),
    help="Embedding actors on the Ray cluster [default: one per GPU, else one per CPU].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
@pass_app
def index_command(
    app: AppContext,
    rebuild: bool,
    follow: bool,
    ray_address: str | None,
    ray_workers: int | None,
    as_json: bool,
) -> None:
    """Build or update the search indexes (keyword and vectors) from the store. Resumes if interrupted."""
    upgrade(app.engine)
    if follow:
        _follow(app)
        return
    if ray_address:
        from paperwire.search import RayUnavailable, ray_catch_up

        try:
            counts = ray_catch_up(
                app.settings,
                app.engine,
                ray_address,
                workers=ray_workers,
                rebuild=rebuild,
                progress=not as_json,
            )
        except RayUnavailable as exc:
            raise click.ClickException(str(exc)) from None
    else:
        service = SearchService(app.settings, app.engine)
        counts = service.rebuild(progress=not as_json) if rebuild else service.update(progress=not as_json)
    if as_json:
        click.echo(json.dumps(counts))
        return
    if counts.get("semantic_unavailable"):
        click.echo("semantic index skipped: the embedding model is unavailable (keyword search still works)")
    click.echo(
        f"indexed {counts['keyword_indexed']} papers, embedded {counts['embedded']}; "
        f"keyword index: {counts['keyword_documents']} papers"
        + (f", vectors: {counts['vectors']}" if "vectors" in counts else "")
    )


def _follow(app: AppContext) -> None:
    """Runs until killed: every write is crash-safe, so SIGTERM needs no handler."""
    import logging

    from paperwire.search import follow_store, lower_priority

    logging.basicConfig(level=logging.INFO, format="paperwire index --follow: %(message)s")
    lower_priority()
    with contextlib.suppress(KeyboardInterrupt):
        follow_store(app.settings, app.engine, interval=app.settings.index_follow_interval)


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def search_command(
    app: AppContext, query: tuple[str, ...], mode: str, limit: int, offset: int, as_json: bool
) -> None:
    """Search titles, abstracts and authors.

    \b
    Syntax: words, "exact phrase", -excluded, author:"First Last", cat:cs.CL, has:code,
    after:2025-01-01, before:2025-06-30, year:2025. An arXiv id finds that paper.
    """
    text = " ".join(query).strip()
    if not text:
        raise click.UsageError("the query is empty: give words to search for")
    try:
        result = _service(app).search(text, mode=mode, limit=limit, offset=offset)
    except QueryError as exc:
        raise click.ClickException(str(exc)) from None
    titles = _titles(app, result.hits)
    if as_json:
        payload = {
            "query": result.query,
            "mode": result.mode,
            "total": result.total,
            "notice": result.notice,
            "took_ms": round(result.took_ms, 2),
            "hits": [_hit_json(h, titles) for h in result.hits],
        }
        click.echo(json.dumps(payload))
        return
    if result.notice:
        click.echo(f"note: {result.notice}", err=True)
    if not result.total:
        click.echo(f"No papers match {text!r} ({result.mode}, {result.took_ms:.0f} ms)")
        return
    _print_hits(
        f"{_which(result.total, offset, len(result.hits))} ({result.mode}, {result.took_ms:.0f} ms)",
        result.hits,
        titles,
        first=offset + 1,
    )


def _which(total: int, offset: int, shown: int) -> str:
    """The heading's count: all the results ("12 results"), or which of them this page shows
    ("21-40 of 183 results"), so that a page of 20 never reads as if 20 were all there are."""
    counted = f"{total} {'result' if total == 1 else 'results'}"
    if shown == total:
        return counted
    if not shown:
        return f"none past {offset} of {counted}"
    return f"{offset + 1}-{offset + shown} of {counted}"


@click.command("similar")
@click.argument("arxiv_id")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def similar_command(app: AppContext, arxiv_id: str, limit: int, as_json: bool) -> None:
    """Papers nearest to ARXIV_ID by the meaning of their title and abstract."""
    try:
        hits = _service(app).similar(arxiv_id, limit=limit)
    except PaperNotFound as exc:
        raise click.ClickException(str(exc)) from None
    titles = _titles(app, hits)
    if as_json:
        click.echo(json.dumps({"arxiv_id": arxiv_id, "hits": [_hit_json(h, titles) for h in hits]}))
        return
    _print_hits(f"Similar to {arxiv_id}", hits, titles)


@click.command("beir")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", default="test", show_default=True, help="Which qrels/<split>.tsv to score.")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def beir_command(app: AppContext, directory: Path, split: str, mode: str, as_json: bool) -> None:
    """Load a BEIR collection into a scratch store, index it, and print nDCG@10, Recall@100 and MRR@10."""
    try:
        collection = load_beir(directory, split)
    except BeirError as exc:
        raise click.ClickException(str(exc)) from None
    embedder = None
    if mode != "keyword":
        try:
            embedder = load_embedder(app.settings)
        except ModelUnavailable as exc:
            click.echo(f"warning: {exc}; answering from keyword search", err=True)
    scores = evaluate_beir(app.settings, collection, [mode], embedder=embedder, progress=not as_json)[mode]
    result = {**scores, "split": split, "documents": len(collection.documents)}
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"{directory.name} {split} ({scores['queries']} queries, {len(collection.documents)} documents)"
    )
    click.echo(f"mode: {scores['mode']}")
    for key in ("ndcg@10", "recall@100", "mrr@10"):
        click.echo(f"{key:>10}: {float(scores[key]):.4f}")


COMMANDS: list[click.Command] = [index_command, search_command, similar_command]
EVAL_COMMANDS: list[click.Command] = [beir_command]
