"""The search API the CLI, the web app and the library use: keyword, semantic and hybrid search,
similar papers, and index maintenance.

Search answers from the indexes alone (they store arXiv ids and the text snippets are made from), so a
query never touches the database. Hybrid is the default; when the model or the vectors are missing,
hybrid and semantic answer from keyword search and say so in ``SearchResults.mode``. So do they when
given a ``semantic_timeout`` (the web app does) and the model is still loading or the semantic half takes
longer: the answer is then the keyword one, marked ``complete=False`` so that nobody caches it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TypeVar, cast

import numpy as np
from cachetools import LRUCache
from sqlalchemy import Engine

from paperwire.claims import store as claims_store
from paperwire.config import Settings
from paperwire.papers.ids import InvalidArxivId, normalize_arxiv_id
from paperwire.search import indexer
from paperwire.search.embed import Embedder, ModelUnavailable, load_embedder
from paperwire.search.hybrid import blend, fuse
from paperwire.search.keyword import KeywordIndex
from paperwire.search.ondisk import MANIFEST, file_stamp
from paperwire.search.query import ParsedQuery, parse_query
from paperwire.search.sentences import SentenceStore
from paperwire.search.vectors import VectorIndex

T = TypeVar("T")
MODES = ("hybrid", "keyword", "semantic")
MAX_LIMIT = 1000
FILTER_DEPTHS = (4, 16, 64)  # how much deeper semantic search looks when filters drop its candidates
# Hybrid's semantic half stops sooner: its keyword half already finds the papers that pass the filters (and
# scores them semantically), and the 64x round cost 50-60 ms of a 1M-paper search (docs/benchmarks.md).
HYBRID_FILTER_DEPTHS = (4, 16)
QUERY_VECTORS = 1024  # query embeddings kept (1.5 kB each): the next page or another filter reuses one
# A query none of whose words is in any paper answers nothing when its best semantic score is below this.
# Real queries always shared a word with the store (every SciFact and NFCorpus query, every arXiv title
# tried), so only made-up or wholly misspelt words meet the floor; made-up words scored 0.24-0.45 (median
# 0.31) on SciFact, ``zzqxv qwrtplk vbnmxe`` 0.36 (docs/benchmarks.md, "No answers from nowhere").
NO_MATCH_FLOOR = 0.40


class PaperNotFound(LookupError):
    """No indexed paper has the given arXiv id."""


class _Background:
    """A few shared worker threads for the semantic half of a hybrid search, which runs while the
    calling thread runs the keyword half: ONNX Runtime, hnswlib and tantivy release the GIL, so on 2
    cores the query embedding (~3 ms), HNSW (~1 ms) and the BM25 of the neighbours (~1-4 ms at 1M
    papers) hide behind tantivy's top 100. When every worker is busy (many concurrent searches) the
    work runs in the caller instead of queueing behind other searches."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._free = threading.BoundedSemaphore(workers)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        if not self._free.acquire(blocking=False):
            done: Future[T] = Future()
            try:
                done.set_result(fn())
            except BaseException as exc:  # delivered by .result(), as from a worker
                done.set_exception(exc)
            return done
        with self._lock:
            if self._pool is None:  # made on first use, so a process forked after import gets its own
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="paperwire-search")
        try:
            future = self._pool.submit(fn)
        except BaseException:
            self._free.release()
            raise
        future.add_done_callback(lambda _: self._free.release())
        return future


_BACKGROUND = _Background(max(2, os.cpu_count() or 1))


@dataclass
class SearchHit:
    paper_id: int
    arxiv_id: str
    score: float
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResults:
    hits: list[SearchHit]
    total: int
    mode: str
    query: str
    took_ms: float
    complete: bool = True  # False: semantic search was asked for but did not answer in time
    notice: str | None = None  # how the query was loosened to find anything (shown beside the results)


class SearchService:
    """Opens the indexes lazily (constructing one is cheap) and reopens the vectors after a re-index."""

    def __init__(self, settings: Settings, engine: Engine, *, embedder: Embedder | None = None) -> None:
        """``embedder`` overrides the configured model (evaluation shares one across scratch stores)."""
        self.settings = settings
        self.engine = engine
        self._lock = threading.Lock()
        self._opened: dict[str, tuple[tuple[int, int, int], object]] = {}  # name: (manifest stamp, opened)
        self._embedder: Embedder | None = embedder
        self._model_error: str | None = None
        self._model_lock = threading.Lock()
        self._model_loading: Future[Embedder | None] | None = None
        self._query_vectors: LRUCache[str, np.ndarray] = LRUCache(QUERY_VECTORS)
        self._query_lock = threading.Lock()  # cachetools' caches are not thread-safe

    # -- what the indexes are made of ---------------------------------------------------------------

    @cached_property
    def keyword(self) -> KeywordIndex:
        return KeywordIndex(indexer.keyword_dir(self.settings))

    def embedder(self) -> Embedder | None:
        with self._model_lock:  # loading takes seconds: the threads that ask meanwhile wait for that one
            if self._embedder is None and self._model_error is None:
                try:
                    self._embedder = load_embedder(self.settings)
                except ModelUnavailable as exc:
                    self._model_error = str(exc)
            return self._embedder

    def _model_ready(self, timeout: float) -> bool:
        """Whether semantic search need not wait for the model: it is loaded (or known to be missing)
        within ``timeout`` seconds, or there are no vectors to search anyway. Loading goes on in the
        background after a timeout."""
        if self._embedder is not None or self._model_error is not None:
            return True
        if not (indexer.vector_dir(self.settings) / MANIFEST).exists():
            return True
        try:
            self._loading().result(timeout)
        except TimeoutError:
            return False
        return True

    def _loading(self) -> Future[Embedder | None]:
        """The model being loaded in the background, started on first call."""
        if self._model_loading is None:
            self._model_loading = _BACKGROUND.submit(self.embedder)
        return self._model_loading

    def warm(self) -> None:
        """Start loading the model in the background (a server calls this as it starts)."""
        self._loading()

    def model_ready(self) -> bool:
        """Whether the model is loaded (or known missing, or not needed): semantic search will not wait."""
        return self._model_ready(0)

    def vectors(self) -> VectorIndex | None:
        """The vector index as last saved, reopened when ``paperwire index`` has changed it since."""
        index = self._reopened("vectors", indexer.vector_dir(self.settings), VectorIndex.open)
        return index if index is not None and len(index) else None

    def sentences(self) -> SentenceStore | None:
        """The papers' title and sentence vectors as last saved, reopened after a re-index."""
        return self._reopened("sentences", indexer.sentence_dir(self.settings), SentenceStore.open)

    def _reopened(self, name: str, directory: Path, opener: Callable[[Path, int], T]) -> T | None:
        """What ``opener`` made of ``directory``, made again when its manifest has changed since."""
        stamp = file_stamp(directory / MANIFEST)
        if stamp is None:
            return None
        with self._lock:
            held = self._opened.get(name)
            if held is None or held[0] != stamp:
                embedder = self.embedder()
                if embedder is None:
                    return None
                held = self._opened[name] = (stamp, opener(directory, embedder.dim))
            return cast(T, held[1])

    def _query_vector(self, embedder: Embedder, text: str) -> np.ndarray:
        """The embedding of a query's text, kept: paging or changing a filter does not embed it again."""
        with self._query_lock:
            vector = self._query_vectors.get(text)
        if vector is None:
            vector = embedder.encode_query(text)
            vector.setflags(write=False)
            with self._query_lock:
                self._query_vectors[text] = vector
        return vector

    def _semantic_scores(self, cosine: dict[int, float], query: np.ndarray) -> dict[int, float]:
        """Each candidate's semantic score: its own vector's cosine blended with its best unit's."""
        store = self.sentences()
        best = store.best(list(cosine), query) if store is not None else {}
        return blend(cosine, best, self.settings.search_sentence_weight)

    # -- searching -----------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        mode: str = "hybrid",
        limit: int = 20,
        offset: int = 0,
        semantic_timeout: float | None = None,
    ) -> SearchResults:
        """Raises ``QueryError`` (a ValueError, one line) for a filter with an unusable value.

        ``semantic_timeout``: seconds to wait for the model to load and for the semantic half before
        answering from keyword search alone (None: wait as long as it takes, as the CLI and eval do).
        """
        started = time.perf_counter()
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}: choose one of {', '.join(MODES)}")
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT} and offset not negative")
        parsed = parse_query(query)
        complete, notice = True, None
        if parsed.arxiv_id:
            hits, total, used = self._by_id(parsed.arxiv_id), 0, "id"
            total = len(hits)
            hits = hits[offset : offset + limit]
        else:
            parsed, notice = self._loosen_phrases(parsed)
            hits, total, used, complete = self._ranked(parsed, mode, limit, offset, semantic_timeout)
        took = (time.perf_counter() - started) * 1000
        return SearchResults(
            hits=hits, total=total, mode=used, query=query, took_ms=took, complete=complete, notice=notice
        )

    def _loosen_phrases(self, parsed: ParsedQuery) -> tuple[ParsedQuery, str | None]:
        """Quoted phrases that no paper contains become plain words, and the notice that says so: a
        natural-language query quoting a title it half remembers should not come back empty."""
        missing = [phrase for phrase in parsed.phrases if not self.keyword.contains(phrase)]
        if not missing:
            return parsed, None
        kept = [phrase for phrase in parsed.phrases if phrase not in missing]
        loosened = replace(parsed, terms=[*parsed.terms, *missing], phrases=kept)
        quoted = ", ".join(f'"{phrase}"' for phrase in missing)
        return loosened, f"no paper contains the exact phrase {quoted}: showing papers with its words"

    def _by_id(self, arxiv_id: str) -> list[SearchHit]:
        pid = self.keyword.lookup_arxiv_id(arxiv_id)
        return [] if pid is None else [SearchHit(pid, arxiv_id, 1.0)]

    def _ranked(
        self, parsed: ParsedQuery, mode: str, limit: int, offset: int, timeout: float | None
    ) -> tuple[list[SearchHit], int, str, bool]:
        if parsed.is_empty:
            return [], 0, mode, True
        if parsed.claims:  # the one question search asks the store: which papers make such claims
            with self.engine.connect() as conn:
                allowed = claims_store.matching_papers(conn, parsed.claims)
            if not allowed:
                return [], 0, mode, True
            parsed = replace(parsed, paper_ids=frozenset(allowed))
        used, complete = mode, True
        semantic = mode in ("hybrid", "semantic") and bool(parsed.text.strip())
        if semantic and timeout is not None and not self._model_ready(timeout):
            used, complete, semantic = f"keyword ({mode}: the model is still loading)", False, False
        vectors = self.vectors() if semantic else None
        if semantic and vectors is None:
            used = f"keyword ({mode} unavailable: {self._why_no_semantic()})"
            semantic = False
        elif mode != "keyword" and not parsed.text.strip():
            used = "keyword (filters only)"
        wanted, late = (
            max(offset + limit, claims_store.CLAIM_SORT_DEPTH if parsed.sort_by_claim else 0),
            False,
        )
        if not semantic or vectors is None:
            ranked, total = self._keyword(parsed, wanted)
        elif mode == "semantic":
            found = self._in_time(lambda: self._semantic(parsed, vectors, wanted), timeout)
            late = found is None
            ranked, total = self._keyword(parsed, wanted) if found is None else (found, len(found))
        else:
            ranked, total, late = self._hybrid(parsed, vectors, wanted, timeout)
        if late:
            used, complete = f"keyword ({mode}: semantic search took over {timeout:g} s)", False
        ranked = self._pin_exact_title(parsed, ranked)
        if parsed.sort_by_claim:
            ranked = self._by_claimed_factor(parsed, ranked)
        page = ranked[offset : offset + limit]
        described = self.keyword.describe(parsed if parsed.text else None, [pid for pid, _ in page])
        hits = [
            SearchHit(pid, described[pid][0], round(score, 6), described[pid][1])
            for pid, score in page
            if pid in described
        ]
        return hits, max(total, len(ranked)), used, complete

    @staticmethod
    def _in_time(work: Callable[[], T], timeout: float | None) -> T | None:
        """``work()``, or None when it takes longer than ``timeout`` (it then finishes in the background)."""
        if timeout is None:
            return work()
        try:
            return _BACKGROUND.submit(work).result(timeout)
        except TimeoutError:
            return None

    def _why_no_semantic(self) -> str:
        self.embedder()
        return "model missing" if self._model_error else "no vectors; run `paperwire index`"

    def _keyword(self, parsed: ParsedQuery, wanted: int) -> tuple[list[tuple[int, float]], int]:
        result = self.keyword.search(parsed, limit=wanted)
        return list(zip(result.ids, result.scores, strict=True)), result.total

    def _semantic(self, parsed: ParsedQuery, vectors: VectorIndex, wanted: int) -> list[tuple[int, float]]:
        """Nearest neighbours of the query that pass its filters (searching deeper while too few do)."""
        embedder = self.embedder()
        assert embedder is not None
        query = self._query_vector(embedder, parsed.text)
        depth = max(self.settings.search_candidates, wanted)
        scored = self._semantic_scores(dict(self._filtered_neighbours(parsed, vectors, query, depth)), query)
        if _far(scored) and not self._has_keyword_match(parsed):
            return []
        return sorted(scored.items(), key=lambda item: (-item[1], item[0]))[:wanted]

    def _has_keyword_match(self, parsed: ParsedQuery) -> bool:
        """Whether keyword search would find anything: for plain words, whether any paper has one."""
        if parsed.restricts:
            return bool(self.keyword.search(parsed, limit=1, count=False).ids)
        return self.keyword.has_any_word(parsed.terms)

    def _neighbours(
        self, parsed: ParsedQuery, vectors: VectorIndex, embedder: Embedder, wanted: int
    ) -> tuple[np.ndarray, list[tuple[int, float]], dict[int, float]]:
        """The semantic half of hybrid: the query's vector, its filtered nearest neighbours and their
        BM25 (those that match the words). BM25 is asked for every neighbour, since which of them the
        keyword half also finds is not known yet; a paper's BM25 does not depend on what else is asked."""
        query = self._query_vector(embedder, parsed.text)
        near = self._filtered_neighbours(parsed, vectors, query, wanted, HYBRID_FILTER_DEPTHS)
        return query, near, self.keyword.scores(parsed, [pid for pid, _ in near])

    def _filtered_neighbours(
        self,
        parsed: ParsedQuery,
        vectors: VectorIndex,
        query: np.ndarray,
        wanted: int,
        depths: Sequence[int] = FILTER_DEPTHS,
    ) -> list[tuple[int, float]]:
        """The ``wanted`` nearest neighbours that pass the query's filters, looking ``depths`` times deeper
        in turn while too few do; each round checks only the neighbours the previous ones had not."""
        if not parsed.restricts:
            return vectors.search(query, wanted)
        passes: dict[int, bool] = {}
        kept: list[tuple[int, float]] = []
        for factor in depths:
            depth = min(len(vectors), wanted * factor)
            found = vectors.search(query, depth)
            unchecked = [pid for pid, _ in found if pid not in passes]
            allowed = self.keyword.matching(parsed, unchecked)
            passes.update((pid, pid in allowed) for pid in unchecked)
            kept = [(pid, score) for pid, score in found if passes[pid]]
            if len(kept) >= wanted or depth >= len(vectors):
                break
        return kept[:wanted]

    def _hybrid(
        self, parsed: ParsedQuery, vectors: VectorIndex, wanted: int, timeout: float | None
    ) -> tuple[list[tuple[int, float]], int, bool]:
        """Both candidate lists, each candidate scored by both signals, fused (see ``hybrid.py``); the
        keyword list alone, and True, when the semantic half takes longer than ``timeout`` seconds."""
        embedder = self.embedder()
        assert embedder is not None
        depth = max(self.settings.search_candidates, wanted)
        started = time.monotonic()
        semantic = _BACKGROUND.submit(lambda: self._neighbours(parsed, vectors, embedder, depth))
        kw = self.keyword.search(parsed, limit=depth)
        try:
            left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
            query, near, near_bm25 = semantic.result(left)
        except TimeoutError:
            return list(zip(kw.ids, kw.scores, strict=True)), kw.total, True
        bm25 = dict(zip(kw.ids, kw.scores, strict=True))
        cosine = dict(near)
        only_semantic = [pid for pid in cosine if pid not in bm25]
        bm25.update((pid, near_bm25[pid]) for pid in only_semantic if pid in near_bm25)
        only_keyword = vectors.present([pid for pid in bm25 if pid not in cosine])
        if only_keyword:
            cosine.update(zip(only_keyword, (vectors.get(only_keyword) @ query).tolist(), strict=True))
        scored = self._semantic_scores(cosine, query)
        if not bm25 and _far(scored):
            return [], 0, False
        fused = fuse(bm25, scored, self.settings.search_hybrid_weight)
        return fused, max(kw.total, len(fused)), False

    def _by_claimed_factor(
        self, parsed: ParsedQuery, ranked: list[tuple[int, float]]
    ) -> list[tuple[int, float]]:
        """``sort:claim``: the matches ordered by their strongest claim (passing the query's ``claim:``
        filters), ties in relevance order."""
        with self.engine.connect() as conn:
            claims = claims_store.claims_for(conn, [pid for pid, _ in ranked])
        order = {pid: rank for rank, (pid, _) in enumerate(ranked)}
        factor = {pid: claims_store.claimed_factor(claims.get(pid, []), parsed.claims) for pid, _ in ranked}
        return sorted(ranked, key=lambda item: (-factor[item[0]], order[item[0]]))

    def _pin_exact_title(
        self, parsed: ParsedQuery, ranked: list[tuple[int, float]]
    ) -> list[tuple[int, float]]:
        """A query that is exactly a paper's title (ignoring case and punctuation) shows that paper first."""
        if parsed.has_filters or not parsed.text:
            return ranked
        pid = self.keyword.lookup_title(parsed.raw)
        if pid is None:
            return ranked
        top = ranked[0][1] if ranked else 1.0
        return [(pid, top), *[(p, s) for p, s in ranked if p != pid]]

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[SearchHit]:
        """Nearest neighbours of the paper's stored vector (or, without vectors, a keyword search for
        its title); raises ``PaperNotFound`` for an id not in the index."""
        try:
            normal = normalize_arxiv_id(arxiv_id)
        except InvalidArxivId as exc:
            raise PaperNotFound(str(exc)) from None
        pid = self.keyword.lookup_arxiv_id(normal)
        if pid is None:
            raise PaperNotFound(f"no indexed paper {normal}; ingest it and run `paperwire index`")
        vectors = self.vectors()
        if vectors is not None and vectors.has(pid):
            near = vectors.search(vectors.get([pid])[0], limit + 1)
            ranked = [(p, s) for p, s in near if p != pid][:limit]
        else:
            title = str(self.keyword.documents([pid])[pid]["title"][0])
            result = self.keyword.search(ParsedQuery(raw=title, terms=title.split()), limit=limit + 1)
            ranked = [(p, s) for p, s in zip(result.ids, result.scores, strict=True) if p != pid][:limit]
        described = self.keyword.describe(None, [p for p, _ in ranked])
        return [SearchHit(p, described[p][0], round(s, 6)) for p, s in ranked if p in described]

    # -- maintenance ---------------------------------------------------------------------------------

    def update(self, *, progress: bool = False, use_model: bool = True) -> dict[str, int]:
        """Index what changed in the store since the last update (``use_model=False``: keyword index only,
        nothing is embedded)."""
        embedder = self.embedder() if use_model else None
        counts = indexer.catch_up(
            self.settings, self.engine, embedder=embedder, use_model=use_model, progress=progress
        )
        self._after_write()
        return counts

    def rebuild(self, *, progress: bool = False) -> dict[str, int]:
        """Throw the indexes away and build them again from the store."""
        counts = indexer.rebuild(self.settings, self.engine, embedder=self.embedder(), progress=progress)
        self._after_write()
        return counts

    def _after_write(self) -> None:
        self.__dict__.pop("keyword", None)
        with self._lock:
            self._opened.clear()


def _far(semantic: dict[int, float]) -> bool:
    """Whether even the nearest paper is too far for a query with no word in common to mean anything."""
    return max(semantic.values(), default=0.0) < NO_MATCH_FLOOR


def index_exists(settings: Settings) -> bool:
    return Path(indexer.keyword_dir(settings) / "meta.json").exists()
