"""The claims store, the one public face of stored claims: kept current at ingest (``refresh``),
filled for old papers (``backfill``), read by the web, the API and digests (``claims_for``) and asked by
search which papers pass a ``claim:`` filter (``matching_papers``).

Which abstract a paper's claims were extracted from is kept as a hash, so ingesting an unchanged paper
again extracts nothing, and a changed abstract replaces its claims in the same transaction (in a bulk
batch, over ``INLINE_LIMIT``, its old claims are dropped and ``backfill`` extracts the new ones).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, bindparam, delete, func, insert, or_, select, true
from sqlalchemy.orm import Session

from paperwire.claims.compare import ANY, OPERATORS, ClaimFilter, signed_factor, signed_percent, strength
from paperwire.claims.extract import Claim, extract_claims
from paperwire.claims.models import ClaimExtraction, PaperClaim
from paperwire.db.models import Paper

# Bump when the extractor's rules change: `paperwire claims backfill` then extracts every paper again.
EXTRACTOR_VERSION = 1
CLAIM_SORT_DEPTH = 1000  # sort:claim orders this many of a search's best matches by their claims
# Most papers of one ingest batch extracted in its transaction (a day's list, a submission); beyond it,
# a bulk load, the papers wait for `paperwire claims backfill`.
INLINE_LIMIT = 1000
CHUNK = 900  # ids per IN (...) list, under SQLite's bound-parameter limit

CLAIMS: Table = PaperClaim.__table__  # type: ignore[assignment]
EXTRACTIONS: Table = ClaimExtraction.__table__  # type: ignore[assignment]
PAPERS: Table = Paper.__table__  # type: ignore[assignment]
CLAIM_COLUMNS = (
    "text",
    "start",
    "stop",
    "value",
    "value_min",
    "value_max",
    "unit",
    "unit_text",
    "kind",
    "direction",
)
CLAIM_ROWS = (
    select(CLAIMS.c.paper_id, *(CLAIMS.c[name] for name in CLAIM_COLUMNS))
    .where(CLAIMS.c.paper_id.in_(bindparam("ids", expanding=True)))
    .order_by(CLAIMS.c.paper_id, CLAIMS.c.position)
)

Db = Connection | Session


def abstract_hash(abstract: str) -> int:
    digest = hashlib.blake2b(abstract.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _row(paper_id: int, position: int, claim: Claim) -> dict[str, Any]:
    return {
        "paper_id": paper_id,
        "position": position,
        "text": claim.text,
        "start": claim.start,
        "stop": claim.end,
        "value": claim.value,
        "value_min": claim.value_min,
        "value_max": claim.value_max,
        "unit": claim.unit,
        "unit_text": claim.unit_text,
        "kind": claim.kind,
        "direction": claim.direction,
        "factor": signed_factor(claim),
        "percent": signed_percent(claim),
    }


def save(db: Db, extracted: Mapping[int, tuple[int, Sequence[Claim]]]) -> None:
    """Replace the claims of each paper id with ``(abstract hash, claims)``; the caller owns the transaction."""
    ids = list(extracted)
    forget(db, ids)
    rows = [
        _row(pid, pos, claim) for pid, (_, claims) in extracted.items() for pos, claim in enumerate(claims)
    ]
    if rows:
        db.execute(insert(CLAIMS), rows)
    if ids:
        db.execute(
            insert(EXTRACTIONS),
            [
                {"paper_id": pid, "abstract_hash": digest, "extractor_version": EXTRACTOR_VERSION}
                for pid, (digest, _) in extracted.items()
            ],
        )


def refresh(db: Db, abstracts: Mapping[int, str], *, inline_limit: int = INLINE_LIMIT) -> int:
    """Bring the claims of these papers (the ingest writer passes every paper it inserts or updates) in line
    with their abstracts: those whose abstract is new or changed get their claims extracted now, in the
    caller's transaction, when there are at most ``inline_limit`` of them. A bigger batch (a bulk load) only
    drops its stale claims and leaves the papers to ``backfill``, since extraction (about 7 ms an abstract)
    would otherwise dominate ingest. Returns how many were extracted."""
    hashes = {pid: abstract_hash(text) for pid, text in abstracts.items()}
    stored: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(list(hashes)):
        query = select(EXTRACTIONS.c.paper_id, EXTRACTIONS.c.abstract_hash, EXTRACTIONS.c.extractor_version)
        for pid, digest, version in db.execute(query.where(EXTRACTIONS.c.paper_id.in_(chunk))):
            stored[pid] = (digest, version)
    todo = [pid for pid, digest in hashes.items() if stored.get(pid) != (digest, EXTRACTOR_VERSION)]
    if len(todo) > inline_limit:
        forget(db, [pid for pid in todo if pid in stored])
        return 0
    save(db, {pid: (hashes[pid], extract_claims(abstracts[pid])) for pid in todo})
    return len(todo)


def forget(db: Db, paper_ids: Sequence[int]) -> None:
    """Drop these papers' claims and extraction marks: ``backfill`` extracts them again."""
    for chunk in _chunks(list(paper_ids)):
        db.execute(delete(CLAIMS).where(CLAIMS.c.paper_id.in_(chunk)))
        db.execute(delete(EXTRACTIONS).where(EXTRACTIONS.c.paper_id.in_(chunk)))


def claims_for(db: Db, paper_ids: Sequence[int]) -> dict[int, list[Claim]]:
    """Each paper's stored claims in text order (papers without claims are absent)."""
    out: dict[int, list[Claim]] = {}
    unique = list(dict.fromkeys(paper_ids))
    for chunk in _chunks(unique):
        for pid, text, start, stop, *rest in db.execute(CLAIM_ROWS, {"ids": list(chunk)}):
            out.setdefault(pid, []).append(Claim(text, start, stop, *rest))
    return out


def _condition(wanted: ClaimFilter) -> Any:
    clauses = [] if wanted.kind == ANY else [CLAIMS.c.kind == wanted.kind]
    if wanted.op is not None and wanted.number is not None:
        clauses.append(OPERATORS[wanted.op](CLAIMS.c[wanted.column], wanted.number))
    return and_(true(), *clauses)


def matching_ids(filters: Sequence[ClaimFilter]) -> Any:
    """A statement selecting the ids ``matching_papers`` returns, for use as a subquery."""
    query: Any = select(CLAIMS.c.paper_id).where(_condition(filters[0])).distinct()
    for wanted in filters[1:]:
        query = query.intersect(select(CLAIMS.c.paper_id).where(_condition(wanted)))
    return query


def matching_papers(db: Db, filters: Sequence[ClaimFilter]) -> set[int]:
    """Ids of the papers that have, for every filter, a claim passing it (none without filters)."""
    return set(db.execute(matching_ids(filters)).scalars()) if filters else set()


def claimed_factor(claims: Sequence[Claim], filters: Sequence[ClaimFilter] = ()) -> float:
    """A paper's strongest claim (that passes one of ``filters``, any claim without them), for sorting."""
    chosen = [c for c in claims if any(f.matches(c) for f in filters)] if filters else claims
    return max((strength(c) for c in chosen), default=0.0)


def pending(engine: Engine, *, again: bool = False) -> int:
    """How many papers ``backfill`` would extract."""
    with engine.connect() as conn:
        query = select(func.count()).select_from(_todo(again, 0).subquery())
        return int(conn.execute(query).scalar() or 0)


def _todo(again: bool, after: int) -> Any:
    query = select(PAPERS.c.id, PAPERS.c.abstract).where(PAPERS.c.id > after)
    if again:
        return query
    joined = PAPERS.outerjoin(EXTRACTIONS, EXTRACTIONS.c.paper_id == PAPERS.c.id)
    return query.select_from(joined).where(
        or_(EXTRACTIONS.c.paper_id.is_(None), EXTRACTIONS.c.extractor_version != EXTRACTOR_VERSION)
    )


def backfill(
    engine: Engine,
    *,
    again: bool = False,
    batch_size: int = 1000,
    workers: int = 0,
    advance: Callable[[int], None] = lambda _n: None,
) -> tuple[int, int]:
    """Extract the claims of every paper not extracted yet by this extractor version (``again``: every
    paper), one transaction per batch in id order, so an interrupted run resumes where it stopped.
    ``workers`` processes extract while this one reads and writes (0: extract inline).
    Returns (papers extracted, claims stored)."""
    if workers <= 0:
        return _backfill(engine, again, batch_size, lambda texts: [extract_claims(t) for t in texts], advance)
    from concurrent.futures import ProcessPoolExecutor

    from paperwire.processes import exit_with_parent

    with ProcessPoolExecutor(workers, initializer=exit_with_parent) as pool:
        chunk = max(1, batch_size // (4 * workers))
        return _backfill(
            engine,
            again,
            batch_size,
            lambda texts: list(pool.map(extract_claims, texts, chunksize=chunk)),
            advance,
        )


def _backfill(
    engine: Engine,
    again: bool,
    batch_size: int,
    extract: Callable[[list[str]], list[list[Claim]]],
    advance: Callable[[int], None],
) -> tuple[int, int]:
    papers = found = 0
    after = 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(_todo(again, after).order_by(PAPERS.c.id).limit(batch_size)).all()
            if not rows:
                return papers, found
            texts = [text for _, text in rows]
            extracted = {
                pid: (abstract_hash(text), claims)
                for (pid, text), claims in zip(rows, extract(texts), strict=True)
            }
            save(conn, extracted)
        after = rows[-1][0]
        papers += len(rows)
        found += sum(len(claims) for _, claims in extracted.values())
        advance(len(rows))
