"""The on-disk vector index: add, replace, filter, persist, survive crashes; exact and HNSW agree."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from paperwire.search import ondisk
from paperwire.search import vectors as vectors_module
from paperwire.search.ondisk import MANIFEST
from paperwire.search.vectors import VectorIndex

DIM = 32


def unit_rows(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    """Clustered unit vectors, shaped like real embeddings (i.i.d. noise would make every ANN index look bad)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 50), dim))
    rows = centres[rng.integers(0, len(centres), n)] + 0.5 * rng.standard_normal((n, dim))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def brute_force(ids: np.ndarray, rows: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = rows @ query
    return [int(ids[i]) for i in np.argsort(-scores, kind="stable")[:k]]


def test_add_get_search_and_replace(tmp_path: Path) -> None:
    index = VectorIndex.open(tmp_path / "vec", DIM)
    assert len(index) == 0
    assert index.search(unit_rows(1)[0], 5) == []
    ids = np.arange(100, 400, dtype=np.int64)
    rows = unit_rows(300)
    index.add(ids, rows)
    assert len(index) == 300
    assert index.has(100)
    assert not index.has(99)
    np.testing.assert_allclose(index.get([250, 100]), rows[[150, 0]], atol=1e-6)
    with pytest.raises(KeyError, match="7"):
        index.get([100, 7])

    query = unit_rows(1, seed=9)[0]
    hits = index.search(query, 10)
    assert [i for i, _ in hits] == brute_force(ids, rows, query, 10)
    assert hits[0][1] == pytest.approx(float(rows[ids == hits[0][0]][0] @ query), abs=1e-5)
    assert all(a[1] >= b[1] for a, b in itertools.pairwise(hits))

    index.add([hits[0][0]], -query[None, :] * 3)  # replaced, and normalised on the way in
    assert len(index) == 300
    assert index.dead_rows == 1
    assert hits[0][0] not in [i for i, _ in index.search(query, 10)]
    np.testing.assert_allclose(index.get([hits[0][0]])[0], -query, atol=1e-6)
    assert len(index.search(query, 1000)) == 300


def test_a_repeated_id_in_one_batch_keeps_the_last_vector(tmp_path: Path) -> None:
    index = VectorIndex.open(tmp_path, DIM)
    rows = unit_rows(3)
    index.add([5, 6, 5], rows)
    assert len(index) == 2
    np.testing.assert_allclose(index.get([5])[0], rows[2], atol=1e-6)


def test_bad_input_is_refused(tmp_path: Path) -> None:
    index = VectorIndex.open(tmp_path, DIM)
    with pytest.raises(ValueError, match="2 ids but 1 vectors"):
        index.add([1, 2], unit_rows(1))
    with pytest.raises(ValueError, match="dimensions"):
        index.search(np.ones(DIM + 1, dtype=np.float32), 3)
    index.add([1], unit_rows(1))
    index.save()
    with pytest.raises(ValueError, match="dimension 32, expected 1 and 64"):
        VectorIndex.open(tmp_path, 64)


@pytest.mark.parametrize("exact_limit", [10**9, 100], ids=["exact", "hnsw"])
def test_allowed_filters_by_mask_or_ids(tmp_path: Path, exact_limit: int) -> None:
    ids = np.arange(1, 1001, dtype=np.int64) * 3
    rows = unit_rows(1000, seed=1)
    index = VectorIndex.open(tmp_path, DIM, exact_limit=exact_limit)
    index.add(ids, rows)
    assert index.mode == ("exact" if exact_limit > 1000 else "hnsw")
    query = unit_rows(1, seed=2)[0]
    few = ids[::100]  # 10 ids: below the limit, searched exactly even in HNSW mode
    assert [i for i, _ in index.search(query, 5, allowed=few)] == brute_force(few, rows[::100], query, 5)
    for step in (2, 7):  # 50% of the index: over-fetched then filtered; 14%: filtered inside the graph search
        mask = np.zeros(ids.max() + 1, dtype=bool)
        mask[ids[::step]] = True
        got = [i for i, _ in index.search(query, 10, allowed=mask)]
        expected = brute_force(ids[::step], rows[::step], query, 10)
        assert len(got) == 10
        assert set(got) <= set(ids[::step].tolist())
        assert len(set(got) & set(expected)) >= 9
    assert index.search(query, 5, allowed=np.array([], dtype=np.int64)) == []
    assert index.search(query, 5, allowed=np.array([7, 8])) == []  # ids not in the index
    short_mask = np.zeros(10, dtype=bool)
    short_mask[[3, 6]] = True  # ids past the mask's end are not allowed
    assert sorted(i for i, _ in index.search(query, 5, allowed=short_mask)) == [3, 6]


def test_exact_and_hnsw_agree_on_small_data(tmp_path: Path) -> None:
    ids = np.arange(2000, dtype=np.int64) + 1
    rows = unit_rows(2000, seed=3)
    exact = VectorIndex.open(tmp_path / "exact", DIM, exact_limit=10**9)
    hnsw = VectorIndex.open(tmp_path / "hnsw", DIM, exact_limit=500)
    for start in range(0, 2000, 400):  # incrementally, crossing the limit on the way
        exact.add(ids[start : start + 400], rows[start : start + 400])
        hnsw.add(ids[start : start + 400], rows[start : start + 400])
    assert (exact.mode, hnsw.mode) == ("exact", "hnsw")
    queries = unit_rows(50, seed=4)
    found = 0
    for query in queries:
        truth = {i for i, _ in exact.search(query, 10)}
        approx = hnsw.search(query, 10)
        found += len(truth & {i for i, _ in approx})
        for paper_id, score in approx:
            assert score == pytest.approx(float(rows[paper_id - 1] @ query), abs=1e-4)
    assert found / (10 * len(queries)) >= 0.97
    np.testing.assert_allclose(hnsw.get([5, 1999]), exact.get([5, 1999]), atol=1e-6)


@pytest.mark.parametrize("exact_limit", [10**9, 100], ids=["exact", "hnsw"])
def test_save_and_reopen_give_the_same_answers(
    tmp_path: Path, exact_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors_module, "GRAPH_SAVE_ROWS", 250)
    ids = np.arange(1, 1201, dtype=np.int64)
    rows = unit_rows(1200, seed=5)
    index = VectorIndex.open(tmp_path, DIM, exact_limit=exact_limit)
    for start in range(0, 1200, 100):  # per-batch saves; the graph is rewritten every 250 rows only
        index.add(ids[start : start + 100], rows[start : start + 100])
        index.save()
    index.add([7], rows[:1])
    index.save()
    queries = unit_rows(20, seed=6)
    before = [index.search(q, 10) for q in queries]
    reopened = VectorIndex.open(tmp_path, DIM, exact_limit=exact_limit)
    assert len(reopened) == 1200
    assert reopened.mode == index.mode
    for query, hits in zip(queries, before, strict=True):
        assert [i for i, _ in reopened.search(query, 10)] == [i for i, _ in hits]
    np.testing.assert_allclose(reopened.get([7]), rows[:1], atol=1e-6)
    assert len(list(tmp_path.glob("graph-*.bin"))) == (1 if index.mode == "hnsw" else 0)


@pytest.mark.parametrize("exact_limit", [10**9, 100], ids=["exact", "hnsw"])
def test_many_replacements_are_compacted(
    tmp_path: Path, exact_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ondisk, "COMPACT_MIN_DEAD", 100)
    ids = np.arange(1, 401, dtype=np.int64)
    index = VectorIndex.open(tmp_path, DIM, exact_limit=exact_limit)
    index.add(ids, unit_rows(400, seed=7))
    index.save()
    newer = unit_rows(400, seed=8)
    index.add(ids[:200], newer[:200])
    index.save()
    assert index.dead_rows == 0
    assert sorted(p.name for p in tmp_path.glob("*-0.*")) == []  # generation 0's files are gone
    reopened = VectorIndex.open(tmp_path, DIM, exact_limit=exact_limit)
    np.testing.assert_allclose(reopened.get(ids[:200]), newer[:200], atol=1e-6)
    assert reopened.search(newer[150], 1)[0][0] == 151


@pytest.mark.parametrize("exact_limit", [10**9, 100], ids=["exact", "hnsw"])
def test_a_crash_during_save_leaves_the_last_saved_index(
    tmp_path: Path, exact_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = unit_rows(600, seed=10)
    index = VectorIndex.open(tmp_path, DIM, exact_limit=exact_limit)
    index.add(np.arange(1, 301), rows[:300])
    index.save()
    manifest = (tmp_path / MANIFEST).read_bytes()

    def crash(self: Path, target: Path) -> Path:
        raise OSError("simulated crash before the rename")

    index.add(np.arange(301, 601), rows[300:])
    monkeypatch.setattr(Path, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        index.save(graph=True)
    monkeypatch.undo()
    # what the crash left: appended log rows, temp files; the manifest is the old one
    assert (tmp_path / MANIFEST).read_bytes() == manifest
    assert list(tmp_path.glob("*.tmp"))
    reopened = VectorIndex.open(tmp_path, DIM, exact_limit=exact_limit)
    assert len(reopened) == 300
    assert not reopened.has(301)
    assert reopened.search(rows[10], 1)[0][0] == 11
    # and the next save writes over the leftovers cleanly
    reopened.add([999], rows[599:])
    reopened.save()
    assert not list(tmp_path.glob("*.tmp"))
    again = VectorIndex.open(tmp_path, DIM, exact_limit=exact_limit)
    assert len(again) == 301
    assert again.search(rows[599], 1)[0][0] == 999


def test_a_torn_log_tail_is_ignored(tmp_path: Path) -> None:
    rows = unit_rows(50, seed=11)
    index = VectorIndex.open(tmp_path, DIM)
    index.add(np.arange(1, 51), rows)
    index.save()
    with (tmp_path / "vectors-0.f32").open("ab") as fh:
        fh.write(b"\x00" * 37)  # half a row, as if the process died while appending
    reopened = VectorIndex.open(tmp_path, DIM)
    assert len(reopened) == 50
    np.testing.assert_allclose(reopened.get([50]), rows[49:], atol=1e-6)
