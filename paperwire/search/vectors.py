"""A vector index on disk keyed by ``Paper.id``: exact numpy search while small, hnswlib HNSW when large.

Layout of the directory (everything derived; delete it and re-index to rebuild):

- ``vectors-<gen>.f32`` / ``ids-<gen>.i64``: an append-only log of (id, vector) rows. Re-adding an id
  appends a new row and the older one is dead; dead rows are dropped by a compaction into the next
  generation once they are many.
- ``graph-<gen>-<rows>.bin``: the HNSW graph (hnswlib), covering the first ``rows`` rows of the log.
  It is large (about 1.6 GB at 1M), so ``save`` rewrites it only every ``GRAPH_SAVE_ROWS`` new rows
  (or 5% of the index); ``open`` loads it and adds the rows after it from the log.
- ``index.json``: the manifest (generation, committed rows, graph), replaced atomically, last.

A crash at any point leaves the previous manifest, whose files are complete: logs are only appended
past the committed length (the tail is cut on the next save), and new files get fresh names.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from paperwire.search.ondisk import (
    MANIFEST,
    append_log,
    compaction_due,
    fsync_path,
    read_manifest,
    remove_other_files,
    write_json_atomically,
)

Matrix = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]

FORMAT = 1
# Below this many vectors exact search is used: at 384 dimensions on 2 cores it answers in under ~10 ms
# and is always right; above it HNSW answers in ~0.5 ms (benchmarks/vector_index.py measures both).
EXACT_LIMIT = 50_000
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 100
HNSW_EF = 128
GRAPH_SAVE_ROWS = 20_000  # or 5% of the index, whichever is more
GRAPH_SAVE_FRACTION = 0.05
# Filters allowing at least this share of the index over-fetch from HNSW instead of filtering inside it.
OVERFETCH_SHARE = 0.2


def _normalise(vectors: Matrix) -> Matrix:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms > 0, norms, 1), dtype=np.float32)


class VectorIndex:
    """Cosine nearest neighbours over L2-normalised float32 vectors; ids are ``Paper.id`` (int64)."""

    def __init__(self, directory: Path, dim: int, *, exact_limit: int, ef: int) -> None:
        self.directory = directory
        self.dim = dim
        self.exact_limit = exact_limit
        self.ef = ef
        self._generation = 0
        self._committed = 0  # rows durable in the log files
        self._rows = 0  # rows in the log including unsaved ones
        self._pending_ids: list[Ids] = []
        self._pending_vectors: list[Matrix] = []
        self._live_ids: Ids = np.zeros(0, dtype=np.int64)  # sorted
        self._live_rows: Ids = np.zeros(0, dtype=np.int64)  # log row of each live id
        self._matrix: Matrix | None = np.zeros((0, dim), dtype=np.float32)  # exact mode: every log row
        self._graph: Any = None  # hnswlib.Index in HNSW mode
        self._disk: Matrix | None = None  # HNSW mode: the committed log, memory-mapped, for gathers
        self._graph_file: str | None = None
        self._graph_rows = 0

    # -- opening -----------------------------------------------------------------------------------

    @classmethod
    def open(
        cls, directory: Path, dim: int, *, exact_limit: int = EXACT_LIMIT, ef: int = HNSW_EF
    ) -> VectorIndex:
        """Open the index in ``directory``, creating an empty one if there is none."""
        index = cls(directory, dim, exact_limit=exact_limit, ef=ef)
        manifest = read_manifest(directory, FORMAT, dim, "vector index")
        if manifest is not None:
            index._load(manifest)
        return index

    def _log_paths(self) -> tuple[Path, Path]:
        gen = self._generation
        return self.directory / f"vectors-{gen}.f32", self.directory / f"ids-{gen}.i64"

    def _log(self, rows: int) -> tuple[Matrix, Ids]:
        """The first ``rows`` committed rows, memory-mapped (read on demand, not loaded)."""
        if rows == 0:
            return np.zeros((0, self.dim), dtype=np.float32), np.zeros(0, dtype=np.int64)
        vec_path, id_path = self._log_paths()
        vectors = np.memmap(vec_path, dtype=np.float32, mode="r", shape=(rows, self.dim))
        ids = np.memmap(id_path, dtype=np.int64, mode="r", shape=(rows,))
        return vectors, ids  # type: ignore[return-value]

    def _load(self, manifest: dict[str, Any]) -> None:
        self._generation = int(manifest["generation"])
        self._committed = self._rows = int(manifest["rows"])
        vectors, ids = self._log(self._committed)
        rows = np.arange(self._committed, dtype=np.int64)
        self._index_rows(np.asarray(ids, dtype=np.int64), rows)
        graph = manifest.get("graph")
        if graph is not None:
            self._matrix = None
            self._disk = vectors
            self._graph_file, self._graph_rows = graph["file"], int(graph["rows"])
            self._graph = self._new_graph(None)
            self._graph.load_index(str(self.directory / graph["file"]), max_elements=self._capacity())
            self._graph.set_num_threads(os.cpu_count() or 1)
            self._graph.set_ef(self.ef)
            tail = slice(self._graph_rows, self._committed)
            if self._committed > self._graph_rows:
                self._graph_add(np.asarray(vectors[tail]), np.asarray(ids[tail]))
        else:
            self._matrix = np.array(vectors, dtype=np.float32)
            if len(self._live_ids) > self.exact_limit:
                self._build_graph()

    # -- id bookkeeping ----------------------------------------------------------------------------

    def _index_rows(self, ids: Ids, rows: Ids) -> None:
        """Point each id at its newest row (later rows replace earlier ones, in the log and here)."""
        if len(ids) == 0:
            return
        rev_unique, rev_first = np.unique(ids[::-1], return_index=True)
        last_rows = rows[::-1][rev_first]
        pos = np.searchsorted(self._live_ids, rev_unique)
        found = pos < len(self._live_ids)
        found[found] = self._live_ids[pos[found]] == rev_unique[found]
        self._live_rows[pos[found]] = last_rows[found]
        self._live_ids = np.insert(self._live_ids, pos[~found], rev_unique[~found])
        self._live_rows = np.insert(self._live_rows, pos[~found], last_rows[~found])

    def _positions(self, ids: Ids) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        pos = np.searchsorted(self._live_ids, ids)
        found = pos < len(self._live_ids)
        found[found] = self._live_ids[pos[found]] == ids[found]
        return pos, found

    def __len__(self) -> int:
        return len(self._live_ids)

    def has(self, paper_id: int) -> bool:
        _, found = self._positions(np.asarray([paper_id], dtype=np.int64))
        return bool(found[0])

    def present(self, paper_ids: Sequence[int]) -> list[int]:
        """Those of ``paper_ids`` that have a vector, in their order (one lookup for all of them)."""
        if not paper_ids:
            return []
        _, found = self._positions(np.asarray(paper_ids, dtype=np.int64))
        return [pid for pid, ok in zip(paper_ids, found.tolist(), strict=True) if ok]

    @property
    def mode(self) -> str:
        return "exact" if self._graph is None else "hnsw"

    @property
    def dead_rows(self) -> int:
        return self._rows - len(self._live_ids)

    # -- adding ------------------------------------------------------------------------------------

    def add(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Add or replace vectors (normalised here); cheap enough to call per batch of ~1,000."""
        id_arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        vec_arr = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim) if len(id_arr) else None
        if vec_arr is None:
            return
        if len(vec_arr) != len(id_arr):
            raise ValueError(f"{len(id_arr)} ids but {len(vec_arr)} vectors")
        if (id_arr < 0).any():
            raise ValueError("vector ids must be non-negative paper ids")
        # keep the last vector of an id repeated within the batch
        _, rev_first = np.unique(id_arr[::-1], return_index=True)
        keep = np.sort(len(id_arr) - 1 - rev_first)
        id_arr, vec_arr = id_arr[keep], _normalise(vec_arr[keep])
        rows = np.arange(self._rows, self._rows + len(id_arr), dtype=np.int64)
        self._pending_ids.append(id_arr)
        self._pending_vectors.append(vec_arr)
        self._rows += len(id_arr)
        self._index_rows(id_arr, rows)
        if self._matrix is not None:
            self._matrix = np.concatenate([self._matrix, vec_arr]) if len(self._matrix) else vec_arr.copy()
            if len(self._live_ids) > self.exact_limit:
                self._build_graph()
        else:
            self._graph_add(vec_arr, id_arr)

    def _capacity(self) -> int:
        return max(1024, int(len(self._live_ids) * 1.25))

    def _new_graph(self, size: int | None) -> Any:
        """An hnswlib index: empty with room for ``size`` elements, or bare (``None``) to load into."""
        import hnswlib

        graph = hnswlib.Index(space="ip", dim=self.dim)
        if size is not None:
            graph.init_index(max_elements=max(1024, size), ef_construction=HNSW_EF_CONSTRUCTION, M=HNSW_M)
        return graph

    def _graph_add(self, vectors: Matrix, ids: Ids) -> None:
        needed = self._graph.get_current_count() + len(ids)
        if needed > self._graph.get_max_elements():
            self._graph.resize_index(max(needed, int(self._graph.get_max_elements() * 1.5)))
        self._graph.add_items(vectors, ids)

    def _build_graph(self) -> None:
        """Switch from exact to HNSW once the index outgrows ``exact_limit``."""
        assert self._matrix is not None
        self._graph = self._new_graph(self._capacity())
        self._graph.set_num_threads(os.cpu_count() or 1)
        order = np.argsort(self._live_rows)
        self._graph_add(self._matrix[self._live_rows[order]], self._live_ids[order])
        self._graph.set_ef(self.ef)
        self._matrix = None
        self._disk = self._log(self._committed)[0]
        self._graph_rows = 0

    # -- reading -----------------------------------------------------------------------------------

    def get(self, ids: Sequence[int] | npt.ArrayLike) -> Matrix:
        """The stored (normalised) vectors of ``ids``, in that order; KeyError names a missing id."""
        id_arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        pos, found = self._positions(id_arr)
        if not found.all():
            raise KeyError(int(id_arr[~found][0]))
        return self._gather(self._live_rows[pos])

    def _gather(self, rows: Ids) -> Matrix:
        """Vectors of log rows: from RAM (exact mode), else the memory-mapped log and the unsaved rows."""
        if self._matrix is not None:
            return np.asarray(self._matrix[rows], dtype=np.float32)
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        on_disk = rows < self._committed
        if on_disk.any():
            assert self._disk is not None
            wanted = rows[on_disk]
            order = np.argsort(wanted)  # ascending rows read the file front to back
            gathered = np.empty((len(wanted), self.dim), dtype=np.float32)
            gathered[order] = self._disk[wanted[order]]
            out[on_disk] = gathered
        if not on_disk.all():
            pending = np.concatenate(self._pending_vectors)
            out[~on_disk] = pending[rows[~on_disk] - self._committed]
        return out

    def _allowed_ids(self, allowed: npt.ArrayLike) -> Ids:
        """Live ids allowed by a boolean mask indexed by paper id, or by an array of paper ids."""
        arr = np.asarray(allowed)
        if arr.dtype == np.bool_:
            candidates = np.flatnonzero(arr).astype(np.int64)
        else:
            candidates = np.unique(arr.astype(np.int64).reshape(-1))
        _, found = self._positions(candidates)
        return candidates[found]

    def search(
        self, query: npt.ArrayLike, k: int, *, allowed: npt.ArrayLike | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest ids by cosine, best first, optionally only among ``allowed``.

        ``allowed`` is a boolean mask indexed by paper id (``mask[paper_id]``; ids past its end are not
        allowed) or an array of paper ids.
        """
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if q.shape != (self.dim,):
            raise ValueError(f"query has {q.size} dimensions, the index {self.dim}")
        q = _normalise(q[None, :])[0]
        if k <= 0 or len(self._live_ids) == 0:
            return []
        if allowed is None:
            if self._graph is None:
                return self._exact(q, k, self._live_ids, self._live_rows)
            return self._hnsw(q, k, None)
        ids = self._allowed_ids(allowed)
        if len(ids) == 0:
            return []
        if self._graph is None:
            pos, _ = self._positions(ids)
            return self._exact(q, k, ids, self._live_rows[pos])
        if len(ids) <= self.exact_limit:
            return self._top(self.get(ids) @ q, ids, k)
        lookup = np.zeros(int(ids[-1]) + 1, dtype=np.bool_)
        lookup[ids] = True
        share = len(ids) / len(self._live_ids)
        if share >= OVERFETCH_SHARE:  # common ids: over-fetch, then drop the others (no Python callback)
            wanted = min(len(self._live_ids), int(np.ceil(2 * k / share)))
            hits = [(i, s) for i, s in self._hnsw(q, wanted, None) if i < len(lookup) and lookup[i]]
            if len(hits) >= min(k, len(ids)):
                return hits[:k]
        return self._hnsw(q, k, lookup)

    def _exact(self, q: Matrix, k: int, ids: Ids, rows: Ids) -> list[tuple[int, float]]:
        assert self._matrix is not None
        # most rows wanted: one matmul over the whole matrix beats gathering their vectors
        scores = (self._matrix @ q)[rows] if len(rows) * 2 >= len(self._matrix) else self._matrix[rows] @ q
        return self._top(scores, ids, k)

    @staticmethod
    def _top(scores: Matrix, ids: Ids, k: int) -> list[tuple[int, float]]:
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(ids[i]), float(scores[i])) for i in best]

    def _hnsw(self, q: Matrix, k: int, lookup: npt.NDArray[np.bool_] | None) -> list[tuple[int, float]]:
        k = min(k, len(self._live_ids))
        self._graph.set_ef(max(self.ef, k))
        if lookup is None:
            labels, distances = self._graph.knn_query(q, k=k, num_threads=1)
        else:
            size = len(lookup)
            labels, distances = self._graph.knn_query(
                q, k=k, num_threads=1, filter=lambda label: label < size and bool(lookup[label])
            )
        return [(int(i), float(1.0 - d)) for i, d in zip(labels[0], distances[0], strict=True)]

    # -- saving ------------------------------------------------------------------------------------

    def save(self, *, graph: bool | None = None) -> None:
        """Make every add durable: append to the log, then replace the manifest atomically.

        The HNSW graph is rewritten when ``graph`` is true, or (``None``) once ``GRAPH_SAVE_ROWS``
        rows were added since it was last written; until then ``open`` replays those rows from the log.
        """
        vec_path, id_path = self._log_paths()
        if self._pending_ids:
            ids = np.concatenate(self._pending_ids)
            vectors = np.concatenate(self._pending_vectors)
            append_log(vec_path, self._committed * self.dim * 4, vectors.tobytes())
            append_log(id_path, self._committed * 8, ids.tobytes())
            self._committed = self._rows
            self._pending_ids, self._pending_vectors = [], []
        if compaction_due(self.dead_rows, self._rows):
            self._compact()
            graph = True
        if graph is None:
            due = max(GRAPH_SAVE_ROWS, GRAPH_SAVE_FRACTION * len(self._live_ids))
            graph = self._graph_file is None or self._committed - self._graph_rows >= due
        if self._graph is not None and graph:
            self._save_graph()
        if self._graph is not None:
            self._disk = self._log(self._committed)[0]
        self._write_manifest()
        self._remove_unused_files()

    def _remove_unused_files(self) -> None:
        """Older generations, older graphs and temp files: also what a crash after the manifest left."""
        keep = {MANIFEST, *(p.name for p in self._log_paths())}
        if self._graph_file:
            keep.add(self._graph_file)
        remove_other_files(self.directory, ("vectors-*.f32", "ids-*.i64", "graph-*.bin", "*.tmp"), keep)

    def _compact(self) -> None:
        """Rewrite the log without dead rows into the next generation's files."""
        alive = np.sort(self._live_rows)
        if self._matrix is not None:
            vectors: Matrix = self._matrix[alive]
        else:
            log_vectors, _ = self._log(self._committed)
            vectors = np.asarray(log_vectors[alive])
        _, log_ids = self._log(self._committed)
        ids = np.asarray(log_ids[alive], dtype=np.int64)
        self._generation += 1
        vec_path, id_path = self._log_paths()
        for path, data in ((vec_path, vectors.tobytes()), (id_path, ids.tobytes())):
            path.unlink(missing_ok=True)
            append_log(path, 0, data)
        self._live_rows = np.searchsorted(alive, self._live_rows).astype(np.int64)
        self._committed = self._rows = len(alive)
        if self._matrix is not None:
            self._matrix = np.ascontiguousarray(vectors)
        self._graph_rows = 0

    def _save_graph(self) -> None:
        """Write the graph under a new name (temp file, fsync, rename); the manifest will point at it."""
        name = f"graph-{self._generation}-{self._committed}.bin"
        tmp = self.directory / f"{name}.tmp"
        self._graph.save_index(str(tmp))
        fsync_path(tmp)
        tmp.replace(self.directory / name)
        self._graph_file, self._graph_rows = name, self._committed

    def _write_manifest(self) -> None:
        manifest = {
            "format": FORMAT,
            "dim": self.dim,
            "generation": self._generation,
            "rows": self._committed,
            "live": len(self._live_ids),
            "graph": None
            if self._graph is None or self._graph_file is None
            else {
                "file": self._graph_file,
                "rows": self._graph_rows,
                "M": HNSW_M,
                "ef_construction": HNSW_EF_CONSTRUCTION,
            },
        }
        write_json_atomically(self.directory / MANIFEST, manifest)
