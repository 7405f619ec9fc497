"""Property-based tests of every parser (Hypothesis): arbitrary bytes, arbitrary JSON, and real records
(slices of ../shared/data in tests/fixtures) with one field replaced by hostile or arbitrary values.

A parser either returns a Record or raises RecordError for the one record (an XML page parser may
also refuse the whole page with its source's error), and a bad record among good ones costs only
itself. Example counts are bounded so the file runs in seconds on two cores.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from paperwire.config import Settings
from paperwire.ingest import arxiv_api, arxiv_daily, generic, hf_daily, oai, snapshot
from paperwire.ingest.inputs import MAX_LINE_BYTES, decoded_lines, read_lines
from paperwire.papers.record import Record, RecordError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FAST = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

SNAPSHOT = [
    json.loads(line)
    for line in (FIXTURES / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json")
    .read_text()
    .splitlines()[:40]
]
DAILY = [
    json.loads(line)
    for line in gzip.decompress((FIXTURES / "arxiv_daily" / "2025-03-18.jsonl.gz").read_bytes()).splitlines()
]
HF = json.loads((FIXTURES / "hf_daily" / "2026-08-21.json").read_text())
HF_ITEMS = HF["data"] if isinstance(HF, dict) else HF
GENERIC = [
    {
        "id": r["id"],
        "title": r["title"],
        "abstract": r["abstract"],
        "authors": r["authors"],
        "categories": r["categories"],
        "published": "2007-04-02",
        "doi": r.get("doi"),
        "journal_ref": r.get("journal-ref"),
        "comments": r.get("comments"),
        "license": r.get("license"),
        "list_day": "2024-01-03",
        "upvotes": 3,
        "submitter": "someone",
        "project_page": "https://example.org/p",
    }
    for r in SNAPSHOT
]

HOSTILE = st.sampled_from(
    [
        "[/x]",
        "2401.01234[/x]",
        "\ud800",
        "a\udfffb",
        1e30,
        -1,
        2**63,
        float("nan"),
        True,
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-05:00",
        "x" * 100_000,
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>x</script>",
        {"a": 1},
        ["x"],
        [["x", 1]],
        "\x00\x1b\x7f\x85\x9f",
        "",
        None,
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
VALUE = HOSTILE | JSON


def only_record_errors(parse: Any, *args: Any) -> Record | RecordError:
    try:
        result = parse(*args)
    except RecordError as exc:
        return exc
    assert isinstance(result, Record)
    return result


def mutate(record: dict[str, Any], data: st.DataObject, extra_keys: list[str]) -> dict[str, Any]:
    changed = copy.deepcopy(record)
    key = data.draw(st.sampled_from(sorted(set(changed) | set(extra_keys))))
    changed[key] = data.draw(VALUE)
    return changed


def dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


@FAST
@given(st.binary(max_size=400))
def test_decoded_lines_number_every_line_of_arbitrary_bytes(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.jsonl"
        path.write_bytes(raw)
        lines = list(decoded_lines(path))
    expected = raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)
    assert [n for n, _ in lines] == list(range(1, expected + 1))
    for number, line in lines:
        if isinstance(line, RecordError):
            assert line.where == f"{path}:{number}"


def test_an_overlong_line_is_refused_unread_and_the_next_one_read(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"a" * (MAX_LINE_BYTES + 10) + b"\nnext\n")
    lines = list(decoded_lines(path))
    assert isinstance(lines[0][1], RecordError) and "longer than" in str(lines[0][1])
    assert lines[1] == (2, "next\n")


@FAST
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_every_line_parser_takes_arbitrary_bytes(raw: bytes) -> None:
    text = raw.decode("utf-8", "surrogateescape")
    for parse in (generic.parse_json_line, snapshot.parse_line, arxiv_daily.parse_line):
        only_record_errors(parse, text, "x/2025-03-18.jsonl:1")


@FAST
@given(JSON)
def test_every_line_parser_takes_arbitrary_json(value: Any) -> None:
    for parse in (generic.parse_json_line, snapshot.parse_line, arxiv_daily.parse_line):
        only_record_errors(parse, dumps(value), "x/2025-03-18.jsonl:1")
    only_record_errors(hf_daily.parse_item, value, "x: item 0", dt.date(2024, 1, 3))
    list(hf_daily.parse_document(value, "x", None))


@FAST
@given(st.data())
def test_mutated_real_records_are_parsed_or_refused(data: st.DataObject) -> None:
    cases = [
        (snapshot.parse_line, SNAPSHOT, ["versions", "authors_parsed", "update_date"]),
        (arxiv_daily.parse_line, DAILY, []),
        (generic.parse_json_line, GENERIC, ["code_url", "updated"]),
    ]
    for parse, pool, extra in cases:
        record = mutate(data.draw(st.sampled_from(pool)), data, extra)
        result = only_record_errors(parse, dumps(record), "x/2025-03-18.jsonl:1")
        if isinstance(result, Record):
            assert "\x00" not in result.title + result.abstract + "".join(result.categories)
            assert result.project_page is None or result.project_page.startswith(("http://", "https://"))
    item = copy.deepcopy(data.draw(st.sampled_from(HF_ITEMS)))
    item["paper"] = mutate(item["paper"], data, ["projectPage", "githubRepo", "githubStars", "upvotes"])
    only_record_errors(hf_daily.parse_item, item, "x: item 0", dt.date(2024, 1, 3))


BAD_LINE = st.binary(max_size=80).filter(lambda b: b"\n" not in b) | VALUE.map(
    lambda v: dumps({**GENERIC[0], "id": "2401.99999", "title": v}).encode("utf-8", "surrogatepass")
)


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(GENERIC)), BAD_LINE), min_size=1, max_size=5))
def test_bad_lines_among_real_ones_cost_only_themselves(bad: list[tuple[int, bytes]]) -> None:
    lines = [json.dumps(r).encode() for r in GENERIC]
    for at, line in sorted(bad, reverse=True):
        lines.insert(at, line)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mixed.jsonl"
        path.write_bytes(b"\n".join(lines))
        items = list(read_lines([str(path)], None, generic.parse_json_line))
    assert len(items) == len([line for line in lines if line.strip()])
    stored = {item.arxiv_id for item, _ in items if isinstance(item, Record)} - {"2401.99999"}
    assert stored == {r["id"] for r in GENERIC}


@FAST
@given(st.binary(max_size=300))
def test_csv_reader_takes_arbitrary_bytes(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.csv"
        path.write_bytes(b"id,title,authors,upvotes,list_day,project_page\n" + raw)
        items = list(generic.read_csv([str(path)], Settings(), None))
    assert all(isinstance(item, Record | RecordError) for item, _ in items)


def xml_pages() -> list[tuple[bytes, str]]:
    return [
        ((FIXTURES / "oai" / "ListRecordsResponse.xml").read_bytes(), "arXivRaw"),
        ((FIXTURES / "oai" / "ListRecordsArXivFormat.xml").read_bytes(), "arXiv"),
    ]


@FAST
@given(st.binary(max_size=300))
def test_xml_parsers_take_arbitrary_bytes(raw: bytes) -> None:
    for parse in (lambda b: oai.parse_page(b, "x", "arXivRaw"), lambda b: arxiv_api.parse_feed(b, "x", 0)):
        with contextlib.suppress(oai.OaiError, arxiv_api.ArxivApiError):
            parse(raw)


@FAST
@given(st.data())
def test_mutated_real_xml_records_are_parsed_or_refused(data: st.DataObject) -> None:
    text = st.text(max_size=40) | st.sampled_from(
        ["[/x]", "0001-01-01", "x" * 90_000, "javascript:x", "v99999999999"]
    )
    for body, prefix in xml_pages():
        root = etree.fromstring(body)
        leaves = [e for e in root.iter() if isinstance(e.tag, str) and len(e) == 0 and e.text]
        leaf = data.draw(st.sampled_from(leaves))
        value = data.draw(text)
        try:
            leaf.text = value
        except ValueError:  # not XML-compatible (control characters): the server could not send it either
            continue
        page = oai.parse_page(etree.tostring(root), "x", prefix)
        assert len(page.items) == len(root.findall(".//{http://www.openarchives.org/OAI/2.0/}record"))
        good = sum(isinstance(i, Record) for i, _ in page.items)
        before = sum(isinstance(i, Record) for i, _ in oai.parse_page(body, "x", prefix).items)
        assert good >= before - 1, "one changed value costs at most its own record"
    feed = etree.fromstring((FIXTURES / "arxiv_api" / "arxiv_response.xml").read_bytes())
    leaves = [e for e in feed.iter() if isinstance(e.tag, str) and len(e) == 0 and e.text]
    try:
        data.draw(st.sampled_from(leaves)).text = data.draw(text)
    except ValueError:
        return
    try:
        parsed = arxiv_api.parse_feed(etree.tostring(feed), "x", 0)
    except arxiv_api.ArxivApiError:
        return
    assert all(isinstance(e, Record | RecordError) for e in parsed.entries)
