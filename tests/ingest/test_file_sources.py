"""Each file source parsed on real samples (tests/fixtures holds slices of ../shared/data)."""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import json
from pathlib import Path

from paperwire.config import Settings
from paperwire.ingest import arxiv_daily, generic, hf_daily, snapshot
from paperwire.papers.record import Record, RecordError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def records(items: list[tuple[Record | RecordError, dict[str, object]]]) -> list[Record]:
    return [r for r, _ in items if isinstance(r, Record)]


def test_snapshot_parses_every_real_record() -> None:
    path = FIXTURES / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
    items = list(snapshot.read([str(path)], Settings(ingest_workers=0), None))
    assert len(items) == 200
    assert not [r for r, _ in items if isinstance(r, RecordError)]
    first = records(items)[0]
    assert first.arxiv_id == "0704.0001"
    assert first.authors[:2] == ["C. Balázs", "E. L. Berger"]
    assert first.title.startswith(
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC"
    )
    assert "\n" not in first.abstract and "  " not in first.abstract
    assert first.published == dt.date(2007, 4, 2)
    assert first.version == 2 and first.updated is not None and first.updated > first.published
    assert first.doi == "10.1103/PhysRevD.76.013009"
    assert first.categories == ["hep-ph"] and first.primary_category == "hep-ph"
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"


def test_arxiv_daily_reads_gz_directory_and_dates_new_submissions() -> None:
    folder = FIXTURES / "arxiv_daily"
    items = list(arxiv_daily.read([str(folder)], Settings(ingest_workers=0), None))
    expected = sum(
        1 for f in folder.iterdir() for line in gzip.decompress(f.read_bytes()).splitlines() if line.strip()
    )
    assert len(items) == expected
    parsed = records(items)
    assert len(parsed) == expected
    assert parsed[0].arxiv_id == "2503.11731"
    assert parsed[0].published == dt.date(2025, 3, 18)
    assert parsed[0].categories == ["cs.CV", "cs.RO"]
    assert items[0][1] == {"file": str(folder / "2025-03-18.jsonl.gz"), "line": 1}


def test_arxiv_daily_comment_none_string_is_no_comment() -> None:
    line = json.dumps({"id": "2503.00001", "title": "T", "summary": "S", "authors": ["A"], "comment": "None"})
    assert arxiv_daily.parse_line(line, "x/2025-03-20.jsonl:1").comments is None


def test_parallel_parsing_gives_the_same_items_in_the_same_order() -> None:
    folder = str(FIXTURES / "arxiv_daily")
    inline = list(arxiv_daily.read([folder], Settings(ingest_workers=0), None))
    parallel = list(arxiv_daily.read([folder], Settings(ingest_workers=1), None))
    assert parallel == inline


def test_resume_cursor_skips_what_was_read() -> None:
    folder = FIXTURES / "arxiv_daily"
    full = list(arxiv_daily.read([str(folder)], Settings(ingest_workers=0), None))
    cursor = full[44][1]
    rest = list(arxiv_daily.read([str(folder)], Settings(ingest_workers=0), cursor))
    assert rest == full[45:]


def load_hf(path: Path) -> list[object]:
    data = json.loads(path.read_text())
    return data["data"] if isinstance(data, dict) else data


def test_hf_daily_handles_every_quirk() -> None:
    folder = FIXTURES / "hf_daily"
    items = list(hf_daily.read([str(folder)], Settings(), None))
    errors = [r for r, _ in items if isinstance(r, RecordError)]
    assert errors == []
    expected = sum(len(load_hf(f)) for f in folder.iterdir())
    assert len(records(items)) == expected

    by_day: dict[dt.date, list[Record]] = {}
    for rec in records(items):
        assert rec.listing is not None
        by_day.setdefault(rec.listing.day, []).append(rec)
    # repr()-string items (2024-12-11) and the {status, date, count, data} wrapper (2025-01-10)
    raw_repr = [ast.literal_eval(s) for s in load_hf(folder / "2024-12-11.json")]  # type: ignore[arg-type]
    assert [r.arxiv_id for r in by_day[dt.date(2024, 12, 11)]] == [i["paper"]["id"] for i in raw_repr]
    assert len(by_day[dt.date(2025, 1, 10)]) == len(load_hf(folder / "2025-01-10.json"))

    raw = load_hf(folder / "2026-08-21.json")[0]
    assert isinstance(raw, dict)
    rec = by_day[dt.date(2026, 8, 21)][0]
    assert rec.arxiv_id == raw["paper"]["id"]
    assert rec.listing is not None
    assert rec.listing.upvotes == raw["paper"]["upvotes"]
    assert rec.listing.num_comments == raw["numComments"]
    assert rec.listing.submitter == "taesiri"
    assert rec.code_urls[0] == raw["paper"]["githubRepo"]
    assert rec.github_stars == raw["paper"]["githubStars"]
    assert rec.ai_summary and rec.ai_keywords
    assert rec.authors[0] == raw["paper"]["authors"][0]["name"]


def test_hf_daily_bad_items_are_reported_not_fatal(tmp_path: Path) -> None:
    good = load_hf(FIXTURES / "hf_daily" / "2024-05-27.json")[0]
    bad_votes = json.loads(json.dumps(good))
    bad_votes["paper"]["upvotes"] = -3
    path = tmp_path / "2024-05-27.json"
    path.write_text(json.dumps([good, {"nope": 1}, "not a literal (", bad_votes]))
    items = list(hf_daily.read([str(path)], Settings(), None))
    kinds = [type(r).__name__ for r, _ in items]
    assert kinds == ["Record", "RecordError", "RecordError", "RecordError"]
    messages = [str(r) for r, _ in items[1:]]
    assert messages[0] == f"{path}: item 1: field 'paper': expected an object with a 'paper' object"
    assert "item 2" in messages[1] and "Python literal" in messages[1]
    assert "item 3" in messages[2] and "'upvotes'" in messages[2] and good["paper"]["id"] in messages[2]


def test_generic_jsonl_and_csv(tmp_path: Path) -> None:
    jsonl = tmp_path / "papers.jsonl"
    jsonl.write_text(
        json.dumps(
            {
                "id": "arXiv:2401.00001v2",
                "title": "A  title",
                "abstract": "Code: https://github.com/a/b",
                "authors": ["X", "Y"],
                "categories": "cs.CL cs.LG",
                "published": "2024-01-02",
                "list_day": "2024-01-03",
                "upvotes": 5,
            }
        )
        + "\n\n"
        + json.dumps({"id": "2401.00002", "title": "T", "published": "yesterday"})
        + "\n{broken\n"
    )
    items = list(generic.read_jsonl([str(jsonl)], Settings(ingest_workers=0), None))
    rec = items[0][0]
    assert isinstance(rec, Record)
    assert (rec.arxiv_id, rec.version, rec.title, rec.categories) == (
        "2401.00001",
        2,
        "A title",
        ["cs.CL", "cs.LG"],
    )
    assert rec.code_urls == ["https://github.com/a/b"]
    assert rec.listing is not None and rec.listing.upvotes == 5
    assert str(items[1][0]) == f"{jsonl}:3: id 2401.00002: field 'published': not a date: 'yesterday'"
    assert str(items[2][0]).startswith(f"{jsonl}:4: invalid JSON")

    csv_path = tmp_path / "papers.csv"
    csv_path.write_text(
        'id,title,authors,upvotes\n2401.00003,"Hello, world",A One; B Two,x\n2401.00004,Fine,,\n'
    )
    rows = list(generic.read_csv([str(csv_path)], Settings(), None))
    assert str(rows[0][0]) == f"{csv_path}:2: id 2401.00003: field 'upvotes': not a whole number: 'x'"
    second = rows[1][0]
    assert isinstance(second, Record) and second.arxiv_id == "2401.00004"


def test_csv_without_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("title\nfoo\n")
    rows = list(generic.read_csv([str(path)], Settings(), None))
    assert len(rows) == 1
    assert str(rows[0][0]) == f"{path}:1: header lacks column(s) id"
