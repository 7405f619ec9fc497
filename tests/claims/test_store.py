"""The claims store on SQLite and PostgreSQL: kept current by ingest, backfilled, filtered by search."""

from __future__ import annotations

from sqlalchemy import Engine, delete, select

from paperwire.claims import Claim, extract_claims, store
from paperwire.claims.compare import parse_claim_filter
from paperwire.claims.models import ClaimExtraction
from paperwire.db.models import Paper
from paperwire.ingest.writer import write_batch
from paperwire.papers.record import Record

FIRST = (
    "We present FlashKV, a cache layout for long-context decoding. FlashKV is 2x faster than the "
    "baseline and reduces memory usage by up to 61% on Llama models."
)
SECOND = (
    "We present FlashKV, a cache layout for long-context decoding. FlashKV achieves a 3.5x speedup "
    "and reduces energy consumption by 40% while keeping a top-1 accuracy of 84.8%."
)


def write(engine: Engine, abstract: str, arxiv_id: str = "2401.00001", title: str = "FlashKV") -> int:
    with engine.begin() as conn:
        write_batch(
            conn, [Record(arxiv_id=arxiv_id, title=title, abstract=abstract, authors=["A B"])], "test"
        )
        return int(conn.execute(select(Paper.id).where(Paper.arxiv_id == arxiv_id)).scalar_one())


def stored(engine: Engine, pid: int) -> list[Claim]:
    with engine.connect() as conn:
        return store.claims_for(conn, [pid]).get(pid, [])


def test_ingest_extracts_and_a_changed_abstract_extracts_again(engine: Engine) -> None:
    pid = write(engine, FIRST)
    first = stored(engine, pid)
    assert first == extract_claims(FIRST)
    assert any(c.kind == "speedup" for c in first) and any(c.kind == "memory" for c in first)
    assert all(FIRST[c.start : c.end] == c.text for c in first)

    assert write(engine, FIRST, title="FlashKV, retitled") == pid  # metadata only: claims stay
    assert stored(engine, pid) == first
    write(engine, SECOND)
    second = stored(engine, pid)
    assert second == extract_claims(SECOND) and second != first
    assert any(c.kind == "energy" for c in second)
    with engine.connect() as conn:
        digest = conn.execute(select(ClaimExtraction.abstract_hash).where(ClaimExtraction.paper_id == pid))
        assert digest.scalar_one() == store.abstract_hash(SECOND)
        assert store.refresh(conn, {pid: SECOND}) == 0  # unchanged: nothing extracted again


def test_backfill_fills_what_ingest_did_not_and_resumes(engine: Engine) -> None:
    abstracts = {
        write(engine, text, arxiv_id=f"2401.{n + 1:05d}"): text for n, text in enumerate([FIRST, SECOND] * 4)
    }
    ids = list(abstracts)[:7]
    with engine.begin() as conn:  # as if stored before claims existed
        conn.execute(delete(store.CLAIMS))
        conn.execute(delete(store.EXTRACTIONS).where(store.EXTRACTIONS.c.paper_id.in_(ids[:5])))
    assert store.pending(engine) == 5
    seen: list[int] = []
    assert store.backfill(engine, batch_size=2, advance=seen.append)[0] == 5
    assert seen == [2, 2, 1] and store.pending(engine) == 0
    assert all(stored(engine, pid) == extract_claims(abstracts[pid]) != [] for pid in ids[:5])
    assert store.backfill(engine) == (0, 0)  # nothing left: a rerun is free
    assert store.backfill(engine, again=True)[0] == 8


def claim(text: str, abstract: str, value: float, unit: str, kind: str, direction: str) -> Claim:
    start = abstract.index(text)
    return Claim(text, start, start + len(text), value, None, None, unit, None, kind, direction)


def test_matching_papers_compare_signed_values(engine: Engine) -> None:
    a = write(engine, FIRST, arxiv_id="2401.00001")
    b = write(engine, SECOND, arxiv_id="2401.00002")
    with engine.begin() as conn:
        store.save(
            conn,
            {
                a: (
                    1,
                    [
                        claim("2x faster", FIRST, 2, "x", "speedup", "improve"),
                        claim("61%", FIRST, 61, "%", "memory", "reduce"),
                    ],
                ),
                b: (
                    2,
                    [
                        claim("3.5x speedup", SECOND, 3.5, "x", "speedup", "improve"),
                        claim("40%", SECOND, 40, "%", "energy", "reduce"),
                    ],
                ),
            },
        )
    with engine.connect() as conn:

        def find(*texts: str) -> set[int]:
            return store.matching_papers(conn, [parse_claim_filter(t) for t in texts])

        assert find("speedup>=2") == {a, b}
        assert find("speedup>=3") == {b}
        assert find("memory") == {a}
        assert find("memory<=-50%") == {a}
        assert find("memory<=-70%") == set()
        assert find("memory<=-2x") == {a}  # -61 % is -2.56x
        assert find("energy<=-30%", "speedup>2") == {b}
        assert find("speedup>=2", "memory") == {a}
        assert find("any") == {a, b}
        assert find("latency") == set()


def test_a_bulk_batch_leaves_claims_to_backfill_and_drops_stale_ones(engine: Engine) -> None:
    a = write(engine, FIRST, arxiv_id="2401.00001")
    b = write(engine, FIRST, arxiv_id="2401.00002")
    assert stored(engine, a) and store.pending(engine) == 0
    with engine.begin() as conn:  # as the writer would pass a batch of changed abstracts over the limit
        assert store.refresh(conn, {a: SECOND, b: SECOND}, inline_limit=1) == 0
    assert stored(engine, a) == [] and store.pending(engine) == 2  # nothing stale shown meanwhile
    papers, found = store.backfill(engine, workers=1)
    assert papers == 2 and found == 2 * len(extract_claims(FIRST))  # the store's abstracts, read again
