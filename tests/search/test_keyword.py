"""Keyword search on the bundled real sample: the expected papers are read from the store, not typed in."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.search import keyword as keyword_module
from paperwire.search.keyword import IndexedPaper, KeywordIndex
from paperwire.search.query import parse_query
from paperwire.search.service import SearchService

Store = tuple[Settings, Engine]


def papers(engine: Engine) -> list[Paper]:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        return list(session.scalars(select(Paper).order_by(Paper.id)))


def service(store: Store) -> SearchService:
    return SearchService(*store)


def test_a_title_finds_its_paper_first(sample_store: Store) -> None:
    svc = service(sample_store)
    chosen = papers(sample_store[1])[::61]
    assert len(chosen) >= 10
    for paper in chosen:
        for mode in ("keyword", "hybrid"):
            hits = svc.search(paper.title, mode=mode, limit=5).hits
            assert hits[0].arxiv_id == paper.arxiv_id, (mode, paper.title)
        # the title's words in another order and case still rank it first
        words = paper.title.lower().split()
        hits = svc.search(" ".join(reversed(words)), mode="keyword", limit=5).hits
        assert hits[0].arxiv_id == paper.arxiv_id, paper.title


def test_an_arxiv_id_goes_straight_to_the_paper(sample_store: Store) -> None:
    svc = service(sample_store)
    paper = papers(sample_store[1])[123]
    for spelling in (paper.arxiv_id, f"arXiv:{paper.arxiv_id}v2", f"https://arxiv.org/abs/{paper.arxiv_id}"):
        result = svc.search(spelling)
        assert result.mode == "id"
        assert [h.arxiv_id for h in result.hits] == [paper.arxiv_id]
        assert result.hits[0].paper_id == paper.id
    assert svc.search("2001.99999").hits == []


def _unique_phrase(all_papers: list[Paper]) -> tuple[Paper, str]:
    """A three-word phrase of plain words that occurs in exactly one abstract of the sample."""
    texts = {p.id: " ".join(re.findall(r"[a-z]+", p.abstract.lower())) for p in all_papers}
    for paper in all_papers[5:]:
        words = texts[paper.id].split()
        for i in range(len(words) - 2):
            phrase = " ".join(words[i : i + 3])
            if min(len(w) for w in words[i : i + 3]) < 5:
                continue
            if sum(f" {phrase} " in f" {t} " for t in texts.values()) == 1:
                return paper, phrase
    raise AssertionError("no unique phrase in the sample")


def test_a_phrase_finds_its_paper_first_and_is_required(sample_store: Store) -> None:
    all_papers = papers(sample_store[1])
    paper, phrase = _unique_phrase(all_papers)
    svc = service(sample_store)
    result = svc.search(f'"{phrase}"', mode="keyword")
    assert result.hits[0].arxiv_id == paper.arxiv_id
    # the same words unquoted match many more papers than the phrase does
    loose = svc.search(phrase, mode="keyword")
    assert loose.total > result.total
    assert result.total <= 3
    marks = result.hits[0].highlights
    assert "<mark>" in marks.get("abstract", "") or "<mark>" in marks.get("title", "")


def test_an_author_filter_finds_their_papers(sample_store: Store) -> None:
    all_papers = papers(sample_store[1])
    counts = Counter(name for p in all_papers for name in p.authors)
    name = next(n for n, c in sorted(counts.items()) if c == 2 and len(n.split()) >= 2)
    expected = {p.arxiv_id for p in all_papers if name in p.authors}
    result = service(sample_store).search(f'author:"{name}"', mode="keyword")
    assert {h.arxiv_id for h in result.hits} == expected
    assert result.total == 2
    # the name as plain words ranks their papers first too
    hits = service(sample_store).search(name, mode="keyword", limit=2).hits
    assert {h.arxiv_id for h in hits} == expected


def test_category_code_and_date_filters_match_the_store(sample_store: Store) -> None:
    all_papers = papers(sample_store[1])
    svc = service(sample_store)
    in_cl = {p.arxiv_id for p in all_papers if "cs.CL" in p.categories}
    result = svc.search("cat:cs.cl", mode="keyword", limit=1000)
    assert {h.arxiv_id for h in result.hits} == in_cl
    assert result.total == len(in_cl) > 0

    with_code = {p.arxiv_id for p in all_papers if p.code_urls}
    result = svc.search("has:code", mode="keyword", limit=1000)
    assert {h.arxiv_id for h in result.hits} == with_code and 0 < len(with_code) < len(all_papers)

    lo, hi = dt.date(2026, 6, 1), dt.date(2026, 6, 10)
    in_range = {p.arxiv_id for p in all_papers if p.published and lo <= p.published <= hi}
    result = svc.search(f"after:{lo} before:{hi}", mode="keyword", limit=1000)
    assert {h.arxiv_id for h in result.hits} == in_range and in_range
    # filters-only results come newest first
    dates = {p.arxiv_id: p.published for p in all_papers}
    listed = [dates[h.arxiv_id] for h in result.hits]
    assert listed == sorted(listed, reverse=True)

    combined = svc.search(f"model cat:cs.CL has:code after:{lo}", mode="keyword", limit=1000)
    assert combined.hits
    for hit in combined.hits:
        assert hit.arxiv_id in in_cl and hit.arxiv_id in with_code and dates[hit.arxiv_id] >= lo


def test_exclusion_removes_papers(sample_store: Store) -> None:
    svc = service(sample_store)
    base = svc.search("language models", mode="keyword", limit=1000)
    excluded = svc.search("language models -reasoning", mode="keyword", limit=1000)
    assert 0 < excluded.total < base.total
    texts = {p.arxiv_id: f"{p.title} {p.abstract}".lower() for p in papers(sample_store[1])}
    assert all(not re.search(r"\breasoning\b", texts[h.arxiv_id]) for h in excluded.hits)


def test_highlights_are_escaped_and_marked(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "kw")
    index.upsert(
        [IndexedPaper(1, "2401.00001", "Naïve <b>bold</b> transformers", "We study transformers & more.")]
    )
    marks = index.highlights(parse_query("transformers naive"), [1])[1]
    assert marks["title"] == "<mark>Naïve</mark> &lt;b&gt;bold&lt;/b&gt; <mark>transformers</mark>"
    assert marks["abstract"] == "We study <mark>transformers</mark> &amp; more."


def test_upsert_replaces_a_paper(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "kw")
    index.upsert([IndexedPaper(7, "2401.00007", "Old title about graphs", "Abstract.")])
    index.upsert([IndexedPaper(7, "2401.00007", "New title about lattices", "Abstract.")])
    assert len(index) == 1
    assert index.search(parse_query("graphs"), limit=5).ids == []
    assert index.search(parse_query("lattices"), limit=5).ids == [7]


def test_whether_any_paper_has_a_word_agrees_with_search(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "kw")
    index.upsert(
        [
            IndexedPaper(1, "2401.00001", "Sparse attention", "We prune heads.", authors=("Ada Lovelace",)),
            IndexedPaper(2, "2401.00002", "Graph lattices", "Replaced below."),
        ]
    )
    index.upsert([IndexedPaper(2, "2401.00002", "Graph lattices", "Spectral methods.")])
    cases = [
        "attention",
        "Pruning heads",
        "lovelace",
        "spectral",
        "zzqxv qwrtplk",
        "the of and",
        "zzqxv graphs",
    ]
    for words in cases:
        found = bool(index.search(parse_query(words), limit=1).ids)
        assert index.has_any_word(parse_query(words).terms) is found, words
    assert index.has_any_word(["pruned"]) and not index.has_any_word(["zzqxv", "the"])


@pytest.mark.parametrize("query", ['""', "-", "the of and", "- -"])
def test_queries_with_nothing_searchable_return_nothing(sample_store: Store, query: str) -> None:
    assert service(sample_store).search(query, mode="keyword").hits == []


class _CountingIndex:
    """A tantivy index that counts the reloads asked of it (everything else goes to the real one)."""

    def __init__(self, index: Any) -> None:
        self._index = index
        self.reloads = 0

    def reload(self) -> None:
        self.reloads += 1
        self._index.reload()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


def test_a_reader_sees_another_writers_commits_without_reloading_per_search(tmp_path: Path) -> None:
    writer = KeywordIndex(tmp_path / "kw")
    writer.upsert([IndexedPaper(1, "2401.00001", "Graph neural networks", "Message passing on graphs.")])
    reader = KeywordIndex(tmp_path / "kw")  # another handle, as another process would have
    spy = _CountingIndex(reader.index)
    reader.index = spy
    query = parse_query("graphs")
    for _ in range(5):
        assert reader.search(query, limit=10).ids == [1]
        assert reader.scores(query, [1]).keys() == {1}
        assert set(reader.describe(query, [1])) == {1}
    assert spy.reloads == 0  # nothing was committed since the reader opened

    writer.upsert([IndexedPaper(2, "2401.00002", "Graph transformers", "Attention over graphs.")])
    assert sorted(reader.search(query, limit=10).ids) == [1, 2]  # at once: no waiting for a watcher
    assert spy.reloads == 1
    for _ in range(5):
        reader.search(query, limit=10)
        reader.lookup_arxiv_id("2401.00002")
    assert spy.reloads == 1

    writer.delete([1])
    assert reader.search(query, limit=10).ids == [2]
    assert reader.lookup_arxiv_id("2401.00001") is None
    assert len(reader) == 1
    assert spy.reloads == 2


@pytest.mark.parametrize("union_limit", [keyword_module.IDS_UNION_LIMIT, 5])
def test_bm25_of_chosen_papers_is_their_search_score(
    sample_store: Store, union_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What hybrid search relies on: a paper's BM25 from ``scores`` equals its score in a full search,
    whichever other papers are asked along with it (papers that do not match are left out); the same
    whether the chosen papers are matched by a union of terms or (past the limit) a term set."""
    monkeypatch.setattr(keyword_module, "IDS_UNION_LIMIT", union_limit)
    keyword = service(sample_store).keyword
    query = parse_query('video generation "diffusion model" -survey')
    hits = keyword.search(query, limit=200)
    assert len(hits.ids) > 20
    full = dict(zip(hits.ids, hits.scores, strict=True))
    unmatched = [pid for pid in range(1, 700) if pid not in full][:30]
    for chosen in (hits.ids[::7], hits.ids[3:40] + unmatched, [hits.ids[-1]]):
        assert keyword.scores(query, chosen) == {pid: full[pid] for pid in chosen if pid in full}
    assert keyword.scores(query, unmatched) == {}
    described = keyword.describe(query, hits.ids[:12])
    assert set(described) == set(hits.ids[:12])
    assert all(marks for _, marks in described.values())
