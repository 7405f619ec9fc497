"""Two sources describing one paper: each field has one owner, values are normalised the same way,
so re-loading changes no row and re-indexes nothing."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from paperwire.cli import cli
from paperwire.config import load_settings
from paperwire.db.models import Paper
from paperwire.db.session import make_engine
from paperwire.ingest.runner import run_ingest
from paperwire.ingest.writer import write_batch
from paperwire.papers.record import Record
from paperwire.sample import SAMPLE_SOURCES
from paperwire.search.indexer import catch_up

# The arXiv listing and the Hugging Face daily record of one real paper, differing as they do in the
# bundled sample: TeX dollars, trailing slash, code-link order and case, an extra author, spacing.
ARXIV = Record(
    arxiv_id="2606.05008",
    title="M$^3$Eval: Multi-Modal Memory Evaluation through Cognitively-Grounded Video Tasks",
    abstract="Memory  evaluation with $\\tau^2$-Bench\nand video tasks.",
    authors=["Ann One", "NVIDIA", "Bo Two"],
    categories=["cs.CV"],
    code_urls=["https://github.com/nvidia/cosmos", "https://huggingface.co/collections/nvidia"],
    project_page="https://m3eval.github.io",
)
HF = Record(
    arxiv_id="2606.05008",
    title="M^3Eval: Multi-Modal Memory Evaluation through Cognitively-Grounded Video Tasks",
    abstract="Memory evaluation with τ^2-Bench and video tasks.",
    authors=["Ann  One", "Bo Two"],
    code_urls=["https://huggingface.co/collections/nvidia/", "https://github.com/NVIDIA/cosmos"],
    project_page="https://m3eval.github.io/",
    github_stars=12,
    ai_summary="A benchmark for memory.",
)
SOURCES = {"arxiv-daily": ARXIV, "hf-daily": HF}


def _stored(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(Paper.__table__)).mappings().one()
        return {
            k: row[k]
            for k in (
                "title",
                "abstract",
                "authors",
                "code_urls",
                "project_page",
                "github_stars",
                "ai_summary",
            )
        }


def test_each_field_has_one_owner_and_the_load_order_does_not_matter(engine: Engine) -> None:
    results = []
    for order in itertools.permutations(SOURCES):
        with engine.begin() as conn:
            conn.execute(Paper.__table__.delete())
        for source in order:
            with engine.begin() as conn:
                write_batch(conn, [SOURCES[source]], source)
        results.append(_stored(engine))
        for source in order:  # again, in the same order: nothing changes
            with engine.begin() as conn:
                counts = write_batch(conn, [SOURCES[source]], source)
            assert (counts.papers_updated, counts.papers_unchanged) == (0, 1), (order, source)
    assert results[0] == results[1]
    assert results[0] == {
        "title": ARXIV.title,  # arXiv's own metadata wins: it keeps the TeX
        "abstract": "Memory evaluation with $\\tau^2$-Bench and video tasks.",
        "authors": ["Ann One", "NVIDIA", "Bo Two"],
        "code_urls": ["https://github.com/NVIDIA/cosmos", "https://huggingface.co/collections/nvidia"],
        "project_page": "https://m3eval.github.io",
        "github_stars": 12,  # only Hugging Face knows these
        "ai_summary": "A benchmark for memory.",
    }


def test_loading_the_sample_twice_changes_no_row_and_indexes_nothing(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    runner = CliRunner()
    first = runner.invoke(cli, ["--data-dir", str(tmp_path), "load-sample"])
    assert first.exit_code == 0, first.output
    engine = make_engine(settings.db_url)
    try:
        assert catch_up(settings, engine, use_model=False)["keyword_indexed"] == 618
        with engine.connect() as conn:
            seq = conn.execute(select(func.max(Paper.change_seq))).scalar_one()
        again = runner.invoke(cli, ["--data-dir", str(tmp_path), "load-sample"])
        assert again.exit_code == 0, again.output
        assert "0 new papers, 0 updated" in again.output
        with engine.connect() as conn:
            runs = conn.execute(
                select(func.count()).select_from(Paper).where(Paper.change_seq > seq)
            ).scalar_one()
            counts = [
                json.loads(c) if isinstance(c, str) else c
                for c in conn.exec_driver_sql("SELECT counts FROM ingest_runs ORDER BY id").scalars()
            ]
        assert runs == 0
        assert [c["papers_updated"] for c in counts[2:]] == [0, 0]
        assert [c["daily_updated"] for c in counts[2:]] == [0, 0]
        assert catch_up(settings, engine, use_model=False)["keyword_indexed"] == 0
        # the sources' own files again, through the runner: still nothing to do
        for source, targets in SAMPLE_SOURCES:
            assert run_ingest(engine, source, targets, settings).counts.papers_updated == 0
    finally:
        engine.dispose()
