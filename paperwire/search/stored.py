"""What ``paperwire index`` has stored, as other parts of the app ask about it: whether the index changed
(one stamp, from ``ondisk.file_stamp``) and the stored vectors of given papers (the recommender's features).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from cachetools import LRUCache

from paperwire.config import Settings
from paperwire.search import indexer
from paperwire.search.embed import DIM
from paperwire.search.ondisk import MANIFEST, file_stamp
from paperwire.search.vectors import VectorIndex

Stamp = tuple[tuple[int, int, int] | None, ...]

_lock = threading.Lock()
# The index last opened: (directory, manifest stamp) -> index; one at a time (a process serves one store).
_opened: LRUCache[tuple[str, tuple[int, int, int]], VectorIndex] = LRUCache(1)


def index_stamp(settings: Settings) -> Stamp | None:
    """What identifies the index's current contents (the files ``paperwire index`` rewrites whenever it
    changes anything: the keyword index's ``meta.json``, the indexer's state, the vector manifest), or
    None without an index. A re-index in any process changes it."""
    stamp = (
        file_stamp(indexer.keyword_dir(settings) / "meta.json"),
        file_stamp(indexer.index_root(settings) / indexer.STATE_FILE),
        vectors_stamp(settings),
    )
    return stamp if stamp[0] is not None else None


def vectors_stamp(settings: Settings) -> tuple[int, int, int] | None:
    """What identifies the stored vectors' current version, or None without vectors."""
    return file_stamp(indexer.vector_dir(settings) / MANIFEST)


def vectors_for(settings: Settings, ids: Sequence[int]) -> npt.NDArray[np.float32] | None:
    """The stored vectors of ``ids``, row-aligned (zeros for a paper without one); None when fewer than
    half of them have one. The index is opened (which reads every vector) once per process and version."""
    directory = indexer.vector_dir(settings)
    stamp = vectors_stamp(settings)
    if stamp is None:
        return None
    key = (str(directory.resolve()), stamp)
    with _lock:
        index = _opened.get(key)
        if index is None:
            index = _opened[key] = VectorIndex.open(directory, DIM)
    present = [i for i in ids if index.has(i)]
    if len(present) < 0.5 * len(ids):
        return None
    out = np.zeros((len(ids), DIM), dtype=np.float32)
    where = {pid: row for row, pid in enumerate(ids)}
    out[[where[i] for i in present]] = index.get(present)
    return out
