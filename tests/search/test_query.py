from __future__ import annotations

import datetime as dt

import pytest

from paperwire.search.query import QueryError, parse_query, title_key


def test_words_phrases_and_exclusions_are_separated() -> None:
    q = parse_query('diffusion "video generation" -survey -"large language"')
    assert q.terms == ["diffusion"]
    assert q.phrases == ["video generation"]
    assert q.excluded == ["survey", "large language"]
    assert q.text == "diffusion video generation"


def test_filters_are_parsed_and_removed_from_the_text() -> None:
    q = parse_query('author:"Noah Snavely" author:Hariharan cat:cs.CV cat:cs.CL has:code 3d')
    assert q.authors == ["Noah Snavely", "Hariharan"]
    assert q.categories == ["cs.CV", "cs.CL"]
    assert q.has_code
    assert q.terms == ["3d"]


def test_date_filters_intersect() -> None:
    q = parse_query("after:2025-01-01 before:2025-06-30 year:2025 agents")
    assert (q.after, q.before) == (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    q = parse_query("year:2024 after:2024-03-05")
    assert (q.after, q.before) == (dt.date(2024, 3, 5), dt.date(2024, 12, 31))


@pytest.mark.parametrize(
    "raw",
    ["2401.01234", "2401.01234v3", "arXiv:2401.01234", "https://arxiv.org/abs/2401.01234v2", " 2401.01234 "],
)
def test_an_arxiv_id_in_any_spelling_is_recognised(raw: str) -> None:
    q = parse_query(raw)
    assert q.arxiv_id == "2401.01234"
    assert q.text == ""


def test_old_style_ids_are_recognised() -> None:
    assert parse_query("hep-th/9901001v2").arxiv_id == "hep-th/9901001"


def test_unknown_prefixes_stay_words() -> None:
    q = parse_query("ratio 3:1 http://example.org")
    assert q.terms == ["ratio", "3:1", "http://example.org"]
    assert not q.has_filters


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("after:2025-13-01", "after: expects a date"),
        ("year:25", "year: expects a four-digit year"),
        ("has:pdf", "has: only supports has:code"),
        ("after:2025-06-01 before:2025-01-01", "the date range is empty"),
        ("author:", "author: needs a value"),
    ],
)
def test_bad_filters_raise_one_line_errors(raw: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as info:
        parse_query(raw)
    assert "\n" not in str(info.value)


def test_empty_query() -> None:
    assert parse_query("   ").is_empty


def test_title_key_ignores_case_and_punctuation() -> None:
    assert title_key("EVA01: Unified  Native 3D Understanding.") == title_key(
        "eva01 unified native 3d understanding"
    )
    assert title_key("A") != title_key("B")


def test_a_minus_before_a_number_is_its_sign() -> None:
    q = parse_query("correlation r = -0.74 -survey")
    assert q.excluded == ["survey"]
    assert "0.74" in q.terms


def test_prose_reads_quotes_and_dashes_as_punctuation() -> None:
    paragraph = (
        'Global mood during the last three weeks of the diet was significantly better in the "vegetarian" '
        'than in the "mixed diet" group, a difference of -7.04 points -- DESIGN: a trial of 40 women who '
        "followed each diet for six weeks. year:2019"
    )
    q = parse_query(paragraph)
    assert not q.phrases and not q.excluded
    assert "mixed" in q.text and "diet" in q.text
    assert "DESIGN:" in q.terms
    assert (q.after, q.before) == (dt.date(2019, 1, 1), dt.date(2019, 12, 31))


def test_a_short_query_keeps_its_syntax() -> None:
    q = parse_query('papers like "Dynamic Storage Allocation" for garbage collectors -survey')
    assert q.phrases == ["Dynamic Storage Allocation"]
    assert q.excluded == ["survey"]
