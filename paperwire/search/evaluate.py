"""Measure search quality on a BEIR-format collection (corpus.jsonl, queries.jsonl, qrels/<split>.tsv).

The collection is loaded into a scratch store (a temporary SQLite database and index directory), indexed
with the same code as real papers, and queried through ``SearchService``, so the numbers are those of
the product. BEIR document ids are not arXiv ids: each document is stored under a synthetic old-style
arXiv id ``beir/NNNNNNN`` (its line number), which every part of paper search accepts, and the mapping
back to the BEIR id is kept in memory for scoring.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from paperwire.config import Settings
from paperwire.db.migrate import upgrade
from paperwire.db.session import make_engine
from paperwire.ingest.writer import write_batch
from paperwire.papers.record import Record
from paperwire.search.embed import Embedder
from paperwire.search.metrics import mean_metrics
from paperwire.search.query import QueryError
from paperwire.search.service import SearchService

ID_PREFIX = "beir/"
DEPTH = 100  # results per query: Recall@100 needs a hundred
WRITE_BATCH = 2000


class BeirError(ValueError):
    """The directory is not a readable BEIR collection (the message says which file and line)."""


@dataclass
class BeirCollection:
    documents: list[tuple[str, str, str]]  # (BEIR id, title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def synthetic_id(position: int) -> str:
    """An old-style arXiv id for the document on line ``position`` of corpus.jsonl."""
    return f"{ID_PREFIX}{position:07d}"


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    if not path.is_file():
        raise BeirError(f"{path} is missing: not a BEIR collection")
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BeirError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(item, dict) or "_id" not in item:
                raise BeirError(f"{path}:{number}: expected an object with an _id")
            yield number, item


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query-id, corpus-id, score per line, tab-separated, with a header and often CRLF line ends."""
    if not path.is_file():
        raise BeirError(f"{path} is missing: no relevance judgments for this split")
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.strip().split("\t")
        if not line.strip() or (number == 1 and parts[0] == "query-id"):
            continue
        if len(parts) != 3:
            raise BeirError(f"{path}:{number}: expected query-id, corpus-id and score separated by tabs")
        try:
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
        except ValueError:
            raise BeirError(f"{path}:{number}: score {parts[2]!r} is not an integer") from None
    return qrels


def load_beir(directory: Path, split: str = "test") -> BeirCollection:
    qrels = load_qrels(directory / "qrels" / f"{split}.tsv")
    documents = [
        (str(d["_id"]), str(d.get("title") or ""), str(d.get("text") or ""))
        for _, d in _jsonl(directory / "corpus.jsonl")
    ]
    queries = {str(q["_id"]): str(q.get("text") or "") for _, q in _jsonl(directory / "queries.jsonl")}
    missing = [q for q in qrels if q not in queries]
    if missing:
        raise BeirError(f"{len(missing)} judged queries are not in queries.jsonl (first: {missing[0]})")
    return BeirCollection(documents=documents, queries={q: queries[q] for q in qrels}, qrels=qrels)


def load_into_store(engine: Engine, collection: BeirCollection) -> None:
    """Write the corpus as papers (synthetic ids, no authors) in the store's own batched writer."""
    records = [
        Record(arxiv_id=synthetic_id(n), title=title, abstract=text, authors=[])
        for n, (_, title, text) in enumerate(collection.documents)
    ]
    for start in range(0, len(records), WRITE_BATCH):
        with engine.begin() as conn:
            write_batch(conn, records[start : start + WRITE_BATCH], "beir")


@contextmanager
def scratch_service(
    settings: Settings,
    collection: BeirCollection,
    *,
    embedder: Embedder | None,
    progress: bool = False,
    directory: Path | None = None,
    use_model: bool = True,
) -> Iterator[SearchService]:
    """A store holding ``collection``, fully indexed, and a service over it: in a temporary directory,
    or in ``directory`` and kept, so a rerun finds the collection indexed and embeds nothing again.
    ``use_model=False`` builds the keyword index only."""
    with tempfile.TemporaryDirectory(prefix="paperwire-beir-") as tmp:
        scratch = settings.model_copy(update={"data_dir": directory or Path(tmp), "database_url": None})
        engine = make_engine(scratch.db_url)
        try:
            upgrade(engine)
            load_into_store(engine, collection)
            service = SearchService(scratch, engine, embedder=embedder)
            service.update(progress=progress, use_model=use_model)
            yield service
        finally:
            engine.dispose()


def run_queries(
    service: SearchService, collection: BeirCollection, mode: str
) -> tuple[dict[str, list[str]], str]:
    """Each judged query's top ``DEPTH`` BEIR ids, and the mode that actually answered. A document with the
    query's own id is left out, as BEIR's evaluation does: where queries are documents of the corpus
    (ArguAna, Quora), the query would otherwise find itself first."""
    back = {synthetic_id(n): doc_id for n, (doc_id, _, _) in enumerate(collection.documents)}
    runs: dict[str, list[str]] = {}
    used = mode
    for qid, text in collection.queries.items():
        try:
            result = service.search(text, mode=mode, limit=DEPTH)
        except QueryError:
            runs[qid] = []  # a claim that reads as a bad filter scores zero rather than stopping the run
            continue
        used = result.mode
        runs[qid] = [back[hit.arxiv_id] for hit in result.hits if back.get(hit.arxiv_id, qid) != qid]
    return runs, used


def evaluate(
    settings: Settings,
    collection: BeirCollection,
    modes: Sequence[str],
    *,
    embedder: Embedder | None,
    progress: bool = False,
) -> dict[str, dict[str, float | str | int]]:
    """nDCG@10, Recall@100 and MRR@10 of each mode, plus the mode that answered and the query count.
    Keyword mode alone embeds nothing."""
    out: dict[str, dict[str, float | str | int]] = {}
    use_model = any(mode != "keyword" for mode in modes)
    with scratch_service(
        settings, collection, embedder=embedder, progress=progress, use_model=use_model
    ) as service:
        for mode in modes:
            runs, used = run_queries(service, collection, mode)
            out[mode] = {**mean_metrics(runs, collection.qrels), "mode": used, "queries": len(runs)}
    return out
