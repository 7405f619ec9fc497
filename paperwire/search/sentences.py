"""A paper as separate units (its title, each sentence of its abstract), and their vectors on disk.

Semantic search scores a paper by its best unit as well as by its whole: a query often restates one
finding of an abstract, and one 384-d vector of the whole text (cut at 256 tokens) blurs it. On SciFact
(train split only) this took hybrid nDCG@10 from 0.739 to 0.752 and semantic-only from 0.656 to 0.677;
see docs/benchmarks.md. The paper's own vector is made from the same units (title plus the mean of the
sentences), so embedding costs what one pass over the whole text did.

Layout of the directory (derived data; delete it and re-index to rebuild):

- ``units.i8``: an append-only log of unit vectors, int8 (``round(127 * v)`` of the normalised vector;
  it changed no ranking on SciFact and takes a quarter of float32's room);
- ``blocks.i64``: an append-only log of ``(paper id, first row, rows)``: a paper embedded again appends a
  new block and the older one is dead;
- ``index.json``: the manifest (generation, committed rows and blocks), replaced atomically, last.

Once dead rows are many (as in the vector index), a save rewrites the live blocks into the next
generation's ``units-N.i8`` and ``blocks-N.i64`` before the manifest names them; the old files are
removed after it. A crash before the manifest leaves the old generation in force (and the new files
for the next save to remove); a reader that still maps the old files keeps reading them until it
reopens.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from paperwire.search.ondisk import (
    MANIFEST,
    append_log,
    compaction_due,
    read_manifest,
    remove_other_files,
    write_json_atomically,
)

FORMAT = 1
SCALE = 127.0
MAX_UNITS = 48  # the title and 47 sentences; the rest of a (rare) longer abstract joins the last unit
COPY_ROWS = 1 << 20  # unit rows copied at a time by a compaction (384 MB at 384-d)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")

Matrix = npt.NDArray[np.float32]


def paper_units(title: str, abstract: str) -> list[str]:
    """The texts embedded for a paper: its title first, then each sentence of its abstract."""
    sentences = [s for s in (part.strip() for part in _SENTENCE_END.split(abstract.strip())) if s]
    if len(sentences) > MAX_UNITS - 1:
        sentences = [*sentences[: MAX_UNITS - 2], " ".join(sentences[MAX_UNITS - 2 :])]
    return [" ".join(title.split()), *sentences]


def paper_vector(units: Matrix) -> Matrix:
    """The paper's own vector from its units' (title first): title plus the mean of the sentences."""
    vector = units[0] + units[1:].mean(axis=0) if len(units) > 1 else units[0].copy()
    norm = float(np.linalg.norm(vector))
    return np.asarray(vector / norm if norm > 0 else vector, dtype=np.float32)


def _offsets(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Where each of consecutive blocks of ``counts`` rows begins."""
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _block_rows(
    starts: npt.NDArray[np.int64], counts: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The unit rows of blocks (``starts``, ``counts``) laid end to end, and where each block begins among
    them."""
    offsets = _offsets(counts)
    return np.repeat(starts - offsets, counts) + np.arange(int(counts.sum())), offsets


class SentenceStore:
    """Unit vectors of each paper, keyed by ``Paper.id``; answers the best unit's cosine for candidates."""

    def __init__(self, directory: Path, dim: int) -> None:
        self.directory = directory
        self.dim = dim
        self._generation = 0
        self._rows = 0  # committed unit rows
        self._blocks = 0  # committed blocks
        self._pending: list[tuple[int, npt.NDArray[np.int8]]] = []
        self._units: npt.NDArray[np.int8] = np.zeros((0, dim), dtype=np.int8)
        # The live block of each paper, sorted by paper id (looked up with searchsorted).
        self._ids = np.zeros(0, dtype=np.int64)
        self._starts = np.zeros(0, dtype=np.int64)
        self._counts = np.zeros(0, dtype=np.int64)

    @classmethod
    def open(cls, directory: Path, dim: int) -> SentenceStore:
        """Open the store in ``directory``, creating an empty one if there is none."""
        store = cls(directory, dim)
        manifest = read_manifest(directory, FORMAT, dim, "sentence store")
        if manifest is not None:
            store._generation = int(manifest.get("generation", 0))
            store._rows, store._blocks = int(manifest["rows"]), int(manifest["blocks"])
            store._map_units()
            if store._blocks:
                blocks = np.fromfile(store._paths()[1], dtype=np.int64, count=3 * store._blocks)
                store._merge(blocks.reshape(-1, 3))
        return store

    def _paths(self) -> tuple[Path, Path]:
        """This generation's units and blocks logs (generation 0 keeps the first version's names)."""
        suffix = f"-{self._generation}" if self._generation else ""
        return self.directory / f"units{suffix}.i8", self.directory / f"blocks{suffix}.i64"

    def _map_units(self) -> None:
        """Memory-map the committed units (read on demand, not loaded)."""
        if self._rows:
            units = np.memmap(self._paths()[0], dtype=np.int8, mode="r", shape=(self._rows, self.dim))
            self._units = units  # type: ignore[assignment]

    def _positions(
        self, paper_ids: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """Where each id is, or would go, in the sorted live blocks, and whether it is there."""
        at = np.searchsorted(self._ids, paper_ids)
        found = at < len(self._ids)
        found[found] = self._ids[at[found]] == paper_ids[found]
        return at, found

    def _merge(self, blocks: npt.NDArray[np.int64]) -> None:
        """Make ``blocks`` (rows of paper id, first row, rows; in log order) the live blocks of their
        papers: the last block of an id wins. Updates the sorted arrays in place, without a full sort."""
        latest = blocks[len(blocks) - 1 - np.unique(blocks[::-1, 0], return_index=True)[1]]  # sorted by id
        at, found = self._positions(latest[:, 0])
        self._starts[at[found]], self._counts[at[found]] = latest[found, 1], latest[found, 2]
        fresh, where = latest[~found], at[~found]
        self._ids = np.insert(self._ids, where, fresh[:, 0])
        self._starts = np.insert(self._starts, where, fresh[:, 1])
        self._counts = np.insert(self._counts, where, fresh[:, 2])

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def dead_rows(self) -> int:
        """Unit rows of papers embedded again since: kept on disk until a compaction."""
        return self._rows - int(self._counts.sum())

    def has(self, paper_id: int) -> bool:
        return bool(self._positions(np.asarray([paper_id], dtype=np.int64))[1][0])

    def add(self, paper_ids: Sequence[int], units: Sequence[Matrix]) -> None:
        """Queue each paper's unit vectors (L2-normalised rows); ``save`` makes them durable and visible."""
        for pid, rows in zip(paper_ids, units, strict=True):
            quantised = np.clip(np.rint(np.asarray(rows, dtype=np.float32) * SCALE), -127, 127)
            self._pending.append((int(pid), quantised.astype(np.int8)))

    def save(self) -> None:
        """Append the queued units and blocks to the logs (compacting them when dead rows are many), then
        replace the manifest atomically."""
        if not self._pending:
            return
        blocks, start = [], self._rows
        for pid, rows in self._pending:
            blocks.append((pid, start, len(rows)))
            start += len(rows)
        data = np.concatenate([rows for _, rows in self._pending])
        units_path, blocks_path = self._paths()
        append_log(units_path, self._rows * self.dim, data.tobytes())
        append_log(blocks_path, self._blocks * 24, np.asarray(blocks, dtype=np.int64).tobytes())
        self._rows, self._blocks = start, self._blocks + len(blocks)
        self._pending = []
        self._map_units()
        self._merge(np.asarray(blocks, dtype=np.int64))
        if compaction_due(self.dead_rows, self._rows):
            self._compact()
        write_json_atomically(
            self.directory / MANIFEST,
            {
                "format": FORMAT,
                "dim": self.dim,
                "generation": self._generation,
                "rows": self._rows,
                "blocks": self._blocks,
                "papers": len(self),
            },
        )
        self._remove_unused_files()

    def _compact(self) -> None:
        """Copy the live blocks, in log order, into the next generation's files (durable before the
        manifest names them)."""
        order = np.argsort(self._starts)
        counts = self._counts[order]
        new_starts = _offsets(counts)
        self._generation += 1
        units_path, blocks_path = self._paths()
        units_path.unlink(missing_ok=True)  # what a crashed compaction into this generation left
        with units_path.open("wb") as fh:
            first = 0
            while first < len(order):
                last = int(np.searchsorted(new_starts, new_starts[first] + COPY_ROWS, side="left"))
                last = max(last, first + 1)
                rows, _ = _block_rows(self._starts[order[first:last]], counts[first:last])
                fh.write(np.ascontiguousarray(self._units[rows]).tobytes())
                first = last
            fh.flush()
            os.fsync(fh.fileno())
        self._starts[order] = new_starts
        live = np.stack([self._ids, self._starts, self._counts], axis=1).astype(np.int64)
        blocks_path.unlink(missing_ok=True)
        append_log(blocks_path, 0, live.tobytes())
        self._rows, self._blocks = int(counts.sum()), len(live)
        self._map_units()

    def _remove_unused_files(self) -> None:
        """Logs of other generations: older ones, or what a compaction cut short by a crash left."""
        remove_other_files(
            self.directory, ("units*.i8", "blocks*.i64"), {path.name for path in self._paths()}
        )

    def units(self, paper_id: int) -> Matrix:
        """The paper's unit vectors (title first), as stored: int8 scaled back to [-1, 1]."""
        [at], [found] = self._positions(np.asarray([paper_id], dtype=np.int64))
        if not found:
            return np.zeros((0, self.dim), dtype=np.float32)
        start, count = int(self._starts[at]), int(self._counts[at])
        return np.asarray(self._units[start : start + count], dtype=np.float32) / SCALE

    def best(self, paper_ids: Sequence[int], query: Matrix) -> dict[int, float]:
        """The cosine of each paper's unit closest to ``query`` (papers without units are left out)."""
        wanted = np.asarray(paper_ids, dtype=np.int64)
        at, found = self._positions(wanted)
        at, ids = at[found], wanted[found]
        if not len(ids):
            return {}
        rows, offsets = _block_rows(self._starts[at], self._counts[at])
        order = np.argsort(rows)  # read the memory map front to back
        scores = np.empty(len(rows), dtype=np.float32)
        scores[order] = self._units[rows[order]].astype(np.float32) @ (
            np.asarray(query, dtype=np.float32) / SCALE
        )
        return dict(zip(ids.tolist(), np.maximum.reduceat(scores, offsets).tolist(), strict=True))
