"""The keyword fallback (a store without a search index) reads queries as the service does."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from paperwire.claims import Claim, store
from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.ingest.runner import run_ingest
from paperwire.search.fallback import KeywordFallback
from paperwire.search.query import QueryError

ListingSlice = Callable[[int, int], str]  # the fixtures of tests/search/conftest.py
StoreFactory = Callable[[Path], tuple[Settings, Engine]]


def _speedup(abstract: str, value: float) -> Claim:
    word = re.search(r"[A-Za-z]{4,}", abstract)
    assert word is not None
    return Claim(word.group(0), word.start(), word.end(), value, None, None, "x", None, "speedup", "improve")


def test_claim_filters_sort_and_bad_filters_as_the_service_reads_them(
    tmp_path: Path, listings: ListingSlice, store_factory: StoreFactory
) -> None:
    settings, engine = store_factory(tmp_path / "store")
    run_ingest(engine, "arxiv-daily", [listings(0, 10)], settings)
    with engine.begin() as conn:
        papers = conn.execute(select(Paper.id, Paper.arxiv_id, Paper.abstract).order_by(Paper.id)).all()
        slow, fast = papers[0], papers[1]
        store.save(
            conn,
            {
                **{p.id: (0, []) for p in papers},
                slow.id: (1, [_speedup(slow.abstract, 1.5)]),
                fast.id: (2, [_speedup(fast.abstract, 4)]),
            },
        )
    fallback = KeywordFallback(engine)
    found = fallback.search('claim:"speedup>=2"')
    assert [hit.arxiv_id for hit in found.hits] == [fast.arxiv_id]
    ranked = fallback.search("sort:claim claim:speedup")
    assert [hit.arxiv_id for hit in ranked.hits] == [fast.arxiv_id, slow.arxiv_id]
    with pytest.raises(QueryError, match="year: expects a four-digit year"):
        fallback.search("claim:speedup year:25")
