"""``claim:`` filters and ``sort:claim`` in every search mode, over real papers whose claims ingest extracted."""

from __future__ import annotations

from sqlalchemy import Engine

from paperwire.claims import store
from paperwire.claims.compare import parse_claim_filter
from paperwire.config import Settings
from paperwire.search.service import SearchService


def test_claim_filters_hold_in_every_mode(small_store: tuple[Settings, Engine]) -> None:
    """One store for all three modes (embedding its forty papers is the slow part)."""
    settings, engine = small_store
    service = SearchService(settings, engine)
    with engine.connect() as conn:
        with_claims = store.matching_papers(conn, [parse_claim_filter("any")])
        accuracy = store.matching_papers(conn, [parse_claim_filter("accuracy")])
    assert 0 < len(accuracy) < len(with_claims) < 40  # the filters have something to tell apart
    for mode in ("keyword", "semantic", "hybrid"):
        _check(service, engine, mode, with_claims, accuracy)


def _check(
    service: SearchService, engine: Engine, mode: str, with_claims: set[int], accuracy: set[int]
) -> None:
    found = service.search("model claim:any", mode=mode, limit=40)
    assert found.hits and {h.paper_id for h in found.hits} <= with_claims
    only = service.search("claim:accuracy", mode=mode, limit=40)
    assert {h.paper_id for h in only.hits} == accuracy and only.total == len(accuracy)
    ranked = service.search("learning claim:any sort:claim", mode=mode, limit=40)
    ids = [h.paper_id for h in ranked.hits]
    with engine.connect() as conn:
        claims = store.claims_for(conn, ids)
    factors = [store.claimed_factor(claims[pid]) for pid in ids]
    assert len(ids) > 3 and factors == sorted(factors, reverse=True)
    assert service.search("claim:cost>=1000000x", mode=mode).hits == []
