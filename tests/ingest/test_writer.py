"""The writer's merge rules on SQLite and PostgreSQL: idempotent, newer versions win, nothing erased."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from paperwire.db.models import Author, DailyEntry, Paper, PaperAuthor
from paperwire.ingest.writer import write_batch
from paperwire.papers.record import DailyListing, Record


def rec(arxiv_id: str = "2401.00001", **kw: object) -> Record:
    base: dict[str, object] = {
        "title": "A title",
        "abstract": "An abstract.",
        "authors": ["Ann One", "Bo Two"],
    }
    base.update(kw)
    return Record(arxiv_id=arxiv_id, **base)  # type: ignore[arg-type]


def write(engine: Engine, records: list[Record], source: str = "test") -> dict[str, int]:
    with engine.begin() as conn:
        return write_batch(conn, records, source).as_dict()


def paper(engine: Engine, arxiv_id: str = "2401.00001") -> Paper:
    with engine.connect() as conn:
        row = conn.execute(select(Paper.__table__).where(Paper.arxiv_id == arxiv_id)).mappings().one()
        return Paper(**row)


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_idempotent(engine: Engine) -> None:
    batch = [rec(), rec("2401.00002", authors=["Bo Two", "Cy Three"])]
    assert write(engine, batch)["papers_new"] == 2
    again = write(engine, batch)
    assert again["papers_new"] == 0 and again["papers_updated"] == 0 and again["papers_unchanged"] == 2
    assert count(engine, Author) == 3
    assert count(engine, PaperAuthor) == 4
    first = paper(engine)
    assert first.abs_url == "https://arxiv.org/abs/2401.00001"
    assert first.pdf_url == "https://arxiv.org/pdf/2401.00001"


def test_newer_version_replaces_older_is_ignored(engine: Engine) -> None:
    write(engine, [rec(version=2, title="Second version", categories=["cs.CL"])])
    seq = paper(engine).change_seq
    assert write(engine, [rec(version=1, title="First version")])["papers_updated"] == 0
    assert paper(engine).title == "Second version"
    assert write(engine, [rec(version=3, title="Third version", authors=["Cy Three"])])["papers_updated"] == 1
    stored = paper(engine)
    assert (stored.title, stored.version, stored.authors) == ("Third version", 3, ["Cy Three"])
    assert stored.categories == ["cs.CL"], "an empty field never erases a stored one"
    assert stored.change_seq > seq
    with engine.connect() as conn:
        names = conn.execute(
            select(Author.name)
            .join(PaperAuthor, PaperAuthor.author_id == Author.id)
            .order_by(PaperAuthor.position)
        ).scalars()
        assert list(names) == ["Cy Three"]


def test_older_record_only_fills_gaps(engine: Engine) -> None:
    write(engine, [rec(version=2, doi=None)])
    write(engine, [rec(version=1, doi="10.1/x", title="Old title")])
    stored = paper(engine)
    assert stored.doi == "10.1/x" and stored.title == "A title"


def test_first_publication_never_moves_later(engine: Engine) -> None:
    write(engine, [rec(published=dt.date(2024, 1, 5))])
    write(engine, [rec(published=dt.date(2024, 2, 1), abstract="changed")])
    assert paper(engine).published == dt.date(2024, 1, 5)


def test_daily_entries_upsert_by_paper_and_day(engine: Engine) -> None:
    day = dt.date(2024, 5, 27)
    counts = write(engine, [rec(listing=DailyListing(day=day, upvotes=3, submitter="ann"))])
    assert counts["daily_new"] == 1
    counts = write(engine, [rec(listing=DailyListing(day=day, upvotes=7, submitter="ann"))])
    assert counts["daily_new"] == 0 and counts["daily_updated"] == 1
    write(engine, [rec(listing=DailyListing(day=day + dt.timedelta(days=1), upvotes=1))])
    with engine.connect() as conn:
        rows = conn.execute(select(DailyEntry.day, DailyEntry.upvotes).order_by(DailyEntry.day)).all()
    assert [tuple(r) for r in rows] == [(day, 7), (day + dt.timedelta(days=1), 1)]


def test_repeated_ids_within_one_batch_fold_into_one_paper(engine: Engine) -> None:
    counts = write(
        engine, [rec(version=1, title="v1"), rec(version=2, title="v2"), rec(version=1, title="v1 again")]
    )
    assert counts["papers_new"] == 1
    assert paper(engine).title == "v2"
