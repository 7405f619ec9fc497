"""Keep the search indexes caught up with the store, or rebuild them from it.

Both indexes are derived data under ``<data_dir>/index/`` (``keyword/``, ``vectors/`` with the papers'
sentence vectors in ``sentences/``) with a small
``state.json`` holding how far each has read the store. The store orders changes by
``(Paper.change_seq, Paper.id)`` (one ingest batch shares a ``change_seq``, so the id breaks ties); each
batch is committed to the indexes before the cursor moves past it, so an interrupted ``paperwire
index`` resumes where it stopped and never skips a paper. The vector cursor may lag behind the keyword
one (the model was unavailable); it then catches up on the next run that has the model.

A paper whose title and abstract did not change keeps its vector: only metadata changes (stars,
categories) are rewritten in the keyword index.

One writer at a time per data directory (a ``flock`` on ``index/.lock``): ``paperwire serve``'s own
indexer and a ``paperwire index`` run by hand take turns instead of interleaving their writes.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, Table, and_, func, or_, select

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.search.embed import Embedder, ModelUnavailable, load_embedder
from paperwire.search.keyword import IncompatibleIndex, IndexedPaper, KeywordIndex
from paperwire.search.ondisk import MANIFEST, write_json_atomically
from paperwire.search.sentences import SentenceStore, paper_units, paper_vector
from paperwire.search.vectors import VectorIndex

PAPERS: Table = Paper.__table__  # type: ignore[assignment]
STATE_FILE = "state.json"
LOCK_FILE = ".lock"
COLUMNS = (
    "id",
    "arxiv_id",
    "title",
    "abstract",
    "authors",
    "categories",
    "published",
    "code_urls",
    "change_seq",
)


def index_root(settings: Settings) -> Path:
    return settings.data_dir / "index"


def keyword_dir(settings: Settings) -> Path:
    return index_root(settings) / "keyword"


def vector_dir(settings: Settings) -> Path:
    return index_root(settings) / "vectors"


def sentence_dir(settings: Settings) -> Path:
    return index_root(settings) / "sentences"


@dataclass
class IndexState:
    """Where each index has read the store up to: the last (change_seq, paper id) it holds."""

    keyword_seq: int = 0
    keyword_id: int = 0
    vector_seq: int = 0
    vector_id: int = 0

    @classmethod
    def load(cls, root: Path) -> IndexState:
        path = root / STATE_FILE
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        return cls(**{k: int(v) for k, v in data.items() if k in cls.__dataclass_fields__})

    def save(self, root: Path) -> None:
        """Written to a temp file and renamed, so a crash leaves the old state or the new, never half."""
        root.mkdir(parents=True, exist_ok=True)
        write_json_atomically(root / STATE_FILE, asdict(self))


def indexed_paper(row: Any) -> IndexedPaper:
    return IndexedPaper(
        paper_id=int(row.id),
        arxiv_id=row.arxiv_id,
        title=row.title or "",
        abstract=row.abstract or "",
        authors=tuple(row.authors or ()),
        categories=tuple(row.categories or ()),
        published=row.published,
        has_code=bool(row.code_urls),
    )


def _after(seq: int, pid: int) -> Any:
    return or_(PAPERS.c.change_seq > seq, and_(PAPERS.c.change_seq == seq, PAPERS.c.id > pid))


def _rows(engine: Engine, seq: int, pid: int, batch_size: int) -> Iterator[list[Any]]:
    """Papers changed after (seq, pid), in cursor order, a batch at a time (keyset pagination)."""
    cols = [PAPERS.c[name] for name in COLUMNS]
    while True:
        with engine.connect() as conn:
            batch = list(
                conn.execute(
                    select(*cols)
                    .where(_after(seq, pid))
                    .order_by(PAPERS.c.change_seq, PAPERS.c.id)
                    .limit(batch_size)
                )
            )
        if not batch:
            return
        yield batch
        seq, pid = int(batch[-1].change_seq), int(batch[-1].id)


def _count(engine: Engine, seq: int, pid: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(PAPERS).where(_after(seq, pid))).scalar() or 0
        )


@dataclass(frozen=True)
class IndexLag:
    """Papers in the store that this data directory's indexes do not hold yet (changed ones included)."""

    keyword: int
    vectors: int | None  # None: this node has no vector index (semantic search is off)
    indexed: bool = True  # False: no batch has been committed to this node's indexes yet

    @property
    def papers(self) -> int:
        """Not yet searchable through both indexes (the SQL keyword fallback does not count)."""
        return max(self.keyword, self.vectors or 0)

    def as_dict(self) -> dict[str, int | None]:
        return {"keyword": self.keyword, "vectors": self.vectors}


def index_lag(settings: Settings, engine: Engine) -> IndexLag:
    """How far behind the store this node's own indexes are, from their cursors (one count query each)."""
    root = index_root(settings)
    state = IndexState.load(root)
    indexed = (keyword_dir(settings) / "meta.json").exists() and (root / STATE_FILE).exists()
    kw_cursor = (state.keyword_seq, state.keyword_id) if indexed else (0, 0)
    keyword = _count(engine, *kw_cursor)
    if not (vector_dir(settings) / MANIFEST).exists():
        return IndexLag(keyword, None, indexed)
    vec_cursor = (state.vector_seq, state.vector_id)
    return IndexLag(keyword, keyword if vec_cursor == kw_cursor else _count(engine, *vec_cursor), indexed)


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """Held while writing the indexes; a second writer waits for the first (the lock dies with its process)."""
    root = index_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK_FILE).open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[int], None]]:
    if not enabled or total == 0:
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
    ) as bar:
        task = bar.add_task("indexing papers", total=total)
        yield lambda n: bar.advance(task, n)


def _embed(
    embedder: Embedder,
    vectors: VectorIndex,
    sentences: SentenceStore,
    papers: Sequence[IndexedPaper],
    old_hashes: dict[int, int],
) -> int:
    """Embed the papers without vectors or whose text changed (title and each abstract sentence, one
    vector each; the paper's vector is made of them); returns how many were embedded."""
    todo = [
        p
        for p in papers
        if old_hashes.get(p.paper_id) != p.content_hash
        or not vectors.has(p.paper_id)
        or not sentences.has(p.paper_id)
    ]
    if todo:
        units = [paper_units(p.title, p.abstract) for p in todo]
        matrix = embedder.encode_documents([text for texts in units for text in texts])
        per_paper = np.split(matrix, np.cumsum([len(texts) for texts in units])[:-1])
        ids = [p.paper_id for p in todo]
        vectors.add(np.asarray(ids, dtype=np.int64), np.stack([paper_vector(rows) for rows in per_paper]))
        sentences.add(ids, per_paper)
    return len(todo)


def catch_up(
    settings: Settings,
    engine: Engine,
    *,
    embedder: Embedder | None = None,
    use_model: bool = True,
    progress: bool = False,
) -> dict[str, int]:
    """Bring both indexes up to date with the store; returns counts of what was done.

    ``embedder`` defaults to the configured model; when it cannot be loaded the keyword index is
    still updated and ``semantic_unavailable`` is 1 in the counts.
    """
    with writer_lock(settings):
        return _catch_up(settings, engine, embedder=embedder, use_model=use_model, progress=progress)


def _catch_up(
    settings: Settings, engine: Engine, *, embedder: Embedder | None, use_model: bool, progress: bool
) -> dict[str, int]:
    root = index_root(settings)
    state = IndexState.load(root)
    try:
        keyword = KeywordIndex(keyword_dir(settings))
    except IncompatibleIndex:  # made by another version: derived data, so rebuild it from the store
        KeywordIndex.destroy(keyword_dir(settings))
        keyword = KeywordIndex(keyword_dir(settings))
        state.keyword_seq = state.keyword_id = 0
    counts = {"papers_seen": 0, "keyword_indexed": 0, "embedded": 0, "semantic_unavailable": 0}
    if embedder is None and use_model:
        try:
            embedder = load_embedder(settings)
        except ModelUnavailable:
            counts["semantic_unavailable"] = 1
    if embedder is None:
        counts["semantic_unavailable"] = 1
    vectors = VectorIndex.open(vector_dir(settings), embedder.dim) if embedder is not None else None
    sentences = SentenceStore.open(sentence_dir(settings), embedder.dim) if embedder is not None else None
    if vectors is not None and sentences is not None and len(vectors) and not len(sentences):
        # Vectors of an older version (one per whole text, no sentence vectors): embed everything again.
        shutil.rmtree(vector_dir(settings))
        vectors = VectorIndex.open(vector_dir(settings), vectors.dim)
        state.vector_seq = state.vector_id = 0

    kw_cursor = (state.keyword_seq, state.keyword_id)
    vec_cursor = (state.vector_seq, state.vector_id)
    start = min(kw_cursor, vec_cursor) if vectors is not None else kw_cursor
    lagging = vectors is not None and vec_cursor < kw_cursor
    with _progress(_count(engine, *start), progress) as advance:
        for batch in _rows(engine, *start, settings.index_batch_size):
            papers = [indexed_paper(row) for row in batch]
            keys = [(int(row.change_seq), int(row.id)) for row in batch]
            fresh = [p for p, key in zip(papers, keys, strict=True) if key > kw_cursor]
            old_hashes = keyword.content_hashes([p.paper_id for p in fresh]) if fresh else {}
            if vectors is not None and embedder is not None:
                stale = [p for p, key in zip(papers, keys, strict=True) if key > vec_cursor]
                if lagging:  # the keyword index already holds the new text: its hashes say nothing
                    old_hashes = {}
                assert sentences is not None
                counts["embedded"] += _embed(embedder, vectors, sentences, stale, old_hashes)
                vectors.save()
                sentences.save()
                state.vector_seq, state.vector_id = keys[-1]
            if fresh:
                keyword.upsert(fresh)
                counts["keyword_indexed"] += len(fresh)
            if keys[-1] > kw_cursor:
                state.keyword_seq, state.keyword_id = keys[-1]
            state.save(root)
            counts["papers_seen"] += len(batch)
            advance(len(batch))
    if vectors is not None:
        vectors.save(graph=True)
        counts["vectors"] = len(vectors)
    counts["keyword_documents"] = len(keyword)
    state.save(root)
    return counts


def rebuild(
    settings: Settings,
    engine: Engine,
    *,
    embedder: Embedder | None = None,
    use_model: bool = True,
    progress: bool = False,
) -> dict[str, int]:
    """Delete both indexes and their state, then index the whole store again."""
    root = index_root(settings)
    with writer_lock(settings):
        shutil.rmtree(keyword_dir(settings), ignore_errors=True)
        shutil.rmtree(vector_dir(settings), ignore_errors=True)
        shutil.rmtree(sentence_dir(settings), ignore_errors=True)
        (root / STATE_FILE).unlink(missing_ok=True)
        return _catch_up(settings, engine, embedder=embedder, use_model=use_model, progress=progress)
