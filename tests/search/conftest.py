"""Search fixtures: the ONNX model is exported once per test session (about 10 s) and shared."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

import paperwire.sample
from paperwire.config import Settings, load_settings
from paperwire.db.migrate import upgrade
from paperwire.db.session import make_engine
from paperwire.ingest.runner import run_ingest
from paperwire.sample import SAMPLE_SOURCES
from paperwire.search.embed import Embedder, load_embedder
from paperwire.search.indexer import catch_up

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="session")
def onnx_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose data directory holds an exported ONNX model (exported once per session)."""
    settings = load_settings(data_dir=tmp_path_factory.mktemp("model-data"))
    load_embedder(settings, device="cpu")
    return settings


@pytest.fixture(scope="session")
def embedder(onnx_settings: Settings) -> Embedder:
    """The CPU (ONNX int8) embedder."""
    return load_embedder(onnx_settings, device="cpu")


@pytest.fixture(scope="session")
def real_papers() -> list[dict[str, str]]:
    """Real arXiv listings (title, abstract) from the test fixtures, one per id."""
    papers: dict[str, dict[str, str]] = {}
    for path in sorted((FIXTURES / "arxiv_daily").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as fh:
            for line in fh:
                item = json.loads(line)
                papers.setdefault(item["id"], {"title": item["title"], "abstract": item["summary"]})
    return list(papers.values())


# -- search fixtures (stores built from the bundled real sample) -------------------------------------

SAMPLE_LISTINGS = Path(paperwire.sample.__file__).resolve().parent / "arxiv-listings.jsonl.gz"


def listing_slice(target: Path, start: int, stop: int) -> Path:
    """Lines start..stop of the bundled arXiv listings, as a source file of their own."""
    with gzip.open(SAMPLE_LISTINGS, "rt") as fh:
        lines = fh.readlines()[start:stop]
    with gzip.open(target, "wt") as out:
        out.writelines(lines)
    return target


def new_store(data_dir: Path) -> tuple[Settings, Engine]:
    settings = load_settings(data_dir=data_dir)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    return settings, engine


ListingSlice = Callable[[int, int], str]
StoreFactory = Callable[[Path], tuple[Settings, Engine]]


@pytest.fixture
def listings(tmp_path: Path) -> ListingSlice:
    """Lines start..stop of the bundled real listings as an arxiv-daily source file (its path)."""

    def make(start: int, stop: int) -> str:
        return str(listing_slice(tmp_path / f"listings-{start}-{stop}.jsonl.gz", start, stop))

    return make


@pytest.fixture
def store_factory() -> Iterator[StoreFactory]:
    """Makes empty migrated SQLite stores in given data directories; disposes them afterwards."""
    engines: list[Engine] = []

    def make(data_dir: Path) -> tuple[Settings, Engine]:
        settings, engine = new_store(data_dir)
        engines.append(engine)
        return settings, engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Engine]]:
    """The whole bundled sample (618 real papers) with its keyword index only; do not modify."""
    settings, engine = new_store(tmp_path_factory.mktemp("sample-store"))
    for source, targets in SAMPLE_SOURCES:
        run_ingest(engine, source, targets, settings)
    catch_up(settings, engine, use_model=False)
    yield settings, engine
    engine.dispose()


@pytest.fixture
def small_store(
    tmp_path: Path, embedder: Embedder, listings: ListingSlice, store_factory: StoreFactory
) -> tuple[Settings, Engine]:
    """Forty real papers with keyword and vector indexes (small: embedding is slow on 2 cores)."""
    settings, engine = store_factory(tmp_path / "store")
    run_ingest(engine, "arxiv-daily", [listings(0, 40)], settings)
    catch_up(settings, engine, embedder=embedder)
    return settings, engine


@pytest.fixture
def tiny_scifact(shared_data: Path, tmp_path: Path) -> Path:
    """A BEIR directory: SciFact's first six judged test queries, their relevant abstracts and 40 others
    (real data; CRLF qrels like the original)."""
    source, target = shared_data / "scifact", tmp_path / "tiny-scifact"
    n_queries = 6
    qrels_lines = (source / "qrels" / "test.tsv").read_text().splitlines()
    judged = [line.split("\t") for line in qrels_lines[1:]]
    queries = list(dict.fromkeys(q for q, _, _ in judged))[:n_queries]
    wanted_docs = {d for q, d, _ in judged if q in queries}
    docs: list[str] = []
    with (source / "corpus.jsonl").open() as fh:
        for line in fh:
            item = json.loads(line)
            if item["_id"] in wanted_docs or len(docs) < len(wanted_docs) + 40:
                docs.append(line)
    (target / "qrels").mkdir(parents=True)
    (target / "corpus.jsonl").write_text("".join(docs))
    with (source / "queries.jsonl").open() as fh:
        lines = [line for line in fh if json.loads(line)["_id"] in queries]
    (target / "queries.jsonl").write_text("".join(lines))
    rows = [qrels_lines[0], *("\t".join(r) for r in judged if r[0] in queries)]
    (target / "qrels" / "test.tsv").write_bytes(("\r\n".join(rows) + "\r\n").encode())
    return target
