"""What a field may hold: the checks every source's values pass before a record is built."""

from __future__ import annotations

import datetime as dt

import pytest

from paperwire.papers import fields
from paperwire.papers.dates import parse_day
from paperwire.papers.record import RecordError, one_line
from paperwire.papers.text import clean_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (12, 12), (12.0, 12), ("12", 12), (" 7 ", 7), (2**31 - 1, 2**31 - 1)],
)
def test_whole_numbers_are_accepted(value: object, expected: int) -> None:
    assert fields.count(value, "upvotes") == expected


@pytest.mark.parametrize(
    "value", [1e30, -1, 2**31, 12.5, "1e30", "²", True, None, "x", [1], float("nan"), float("inf")]
)
def test_other_numbers_are_refused(value: object) -> None:
    with pytest.raises(fields.FieldProblem) as caught:
        fields.count(value, "upvotes")
    assert caught.value.field == "upvotes"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "java\x00script:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "//evil.example/x",
        "/relative/path",
        "https://",
        "ftp://example.org/x",
    ],
)
def test_only_http_links_with_a_host_are_kept(url: str) -> None:
    with pytest.raises(fields.FieldProblem, match="not an http"):
        fields.http_url(url, "project_page")


def test_http_links_are_trimmed_and_their_scheme_lowercased() -> None:
    assert fields.http_url(" HTTPS://Example.org/a?b=1 ", "project_page") == "https://Example.org/a?b=1"
    wrapped = "https://github.com/\nFightingFighting/NeuroAda.git"  # as a real hf-daily record has it
    assert fields.http_url(wrapped, "code_url") == "https://github.com/FightingFighting/NeuroAda.git"
    assert fields.http_url("", "project_page") is None


def test_text_drops_control_characters_and_refuses_surrogates_and_oversize() -> None:
    assert fields.text("cs.CL\x00\x07\x1b\x7f\x9f", "category") == "cs.CL"
    assert clean_text("a\x00b\tc\u0085d") == "ab c d"
    with pytest.raises(fields.FieldProblem, match="lone surrogate"):
        fields.text("A \ud800 title", "title")
    with pytest.raises(fields.FieldProblem, match="longer than 2000"):
        fields.text("x" * 2001, "title")
    with pytest.raises(fields.FieldProblem, match="expected text, got int"):
        fields.text(5, "doi")


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "1899-12-31", "2200-01-01"]
)
def test_dates_outside_the_range_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="date out of range"):
        parse_day(value)


def test_dates_inside_the_range_are_days_in_utc() -> None:
    assert parse_day("2024-01-01T23:30:00-05:00") == dt.date(2024, 1, 2)
    assert parse_day("Mon, 2 Apr 2007 19:18:42 GMT") == dt.date(2007, 4, 2)


def test_record_errors_are_one_printable_line() -> None:
    error = RecordError(
        "f.jsonl:3", "not an arXiv id: '" + "x\n\x1b" * 200 + "'", field="id", record_id="a\ud800b"
    )
    text = str(error)
    assert "\n" not in text and "\x1b" not in text and text.isprintable()
    assert len(text) < 450 and text.startswith("f.jsonl:3: id a\\ud800b: field 'id': ")
    assert one_line(one_line(text, 100), 100) == one_line(text, 100)
