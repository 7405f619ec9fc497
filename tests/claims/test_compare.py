"""The claim filter syntax, the signed scale filters compare on, and chip labels."""

from __future__ import annotations

import pytest

from paperwire.claims import Claim
from paperwire.claims.compare import (
    ClaimFilter,
    ClaimFilterError,
    parse_claim_filter,
    signed_factor,
    signed_percent,
    strength,
)
from paperwire.claims.labels import label
from paperwire.search.query import QueryError, parse_query


def claim(
    value: float | None,
    unit: str,
    kind: str,
    direction: str,
    *,
    low: float | None = None,
    high: float | None = None,
    unit_text: str | None = None,
) -> Claim:
    return Claim("words", 0, 5, value, low, high, unit, unit_text, kind, direction)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("speedup>=2", ClaimFilter("speedup", ">=", 2.0, "x")),
        ("memory", ClaimFilter("memory")),
        ("energy<=-30%", ClaimFilter("energy", "<=", -30.0, "%")),
        ("Memory<=\u22122x", ClaimFilter("memory", "<=", -2.0, "x")),
        ("accuracy>80.5%", ClaimFilter("accuracy", ">", 80.5, "%")),
        ("any", ClaimFilter("any")),
    ],
)
def test_filters_parse(text: str, expected: ClaimFilter) -> None:
    assert parse_claim_filter(text) == expected


@pytest.mark.parametrize("text", ["sped>=2", "speedup>=", "speedup=>2", "speedup>=2ms", ""])
def test_bad_filters_say_why(text: str) -> None:
    with pytest.raises(ClaimFilterError, match="claim:"):
        parse_claim_filter(text)


def test_query_carries_claim_filters_and_sort() -> None:
    parsed = parse_query('kv cache claim:speedup>=2 claim:memory sort:claim author:"Ada"')
    assert parsed.claims == [ClaimFilter("speedup", ">=", 2.0), ClaimFilter("memory")]
    assert parsed.sort_by_claim and parsed.has_filters
    assert parsed.terms == ["kv", "cache"] and parsed.authors == ["Ada"]
    with pytest.raises(QueryError, match="unknown kind"):
        parse_query("claim:speed>=2")
    with pytest.raises(QueryError, match="sort:claim"):
        parse_query("sort:date")


def test_reductions_are_negative_on_both_scales() -> None:
    less_memory = claim(61, "%", "memory", "reduce")
    assert signed_percent(less_memory) == -61
    assert signed_factor(less_memory) == pytest.approx(-1 / 0.39)
    halved = claim(2, "x", "memory", "reduce")
    assert (signed_factor(halved), signed_percent(halved)) == (-2, -50)
    faster = claim(2, "x", "speedup", "improve")
    assert (signed_factor(faster), signed_percent(faster)) == (2, 100)
    level = claim(84.8, "%", "accuracy", "neutral")
    assert (signed_factor(level), signed_percent(level)) == (None, 84.8)
    ranged = claim(None, "x", "energy", "reduce", low=1.6, high=4.1)
    assert signed_factor(ranged) == -4.1
    assert signed_factor(claim(3072, "count", "compute", "neutral")) is None
    assert strength(halved) > strength(claim(40, "%", "throughput", "improve"))


def test_filters_compare_in_the_unit_they_name() -> None:
    less_energy = claim(35, "%", "energy", "reduce")
    assert parse_claim_filter("energy<=-30%").matches(less_energy)
    assert not parse_claim_filter("energy<=-40%").matches(less_energy)
    assert parse_claim_filter("energy<=-1.5x").matches(less_energy)  # -35 % is -1.54x
    assert not parse_claim_filter("memory").matches(less_energy)
    assert parse_claim_filter("speedup>=2").matches(claim(2.5, "x", "speedup", "improve"))
    assert not parse_claim_filter("speedup>=2").matches(claim(1.8, "x", "speedup", "improve"))
    assert parse_claim_filter("any").matches(less_energy)


def test_labels_read_like_the_issue_asks() -> None:
    assert label(claim(2, "x", "speedup", "improve")) == "2× faster"
    assert label(claim(61, "%", "memory", "reduce")) == "\u221261 % memory"
    assert label(claim(84.8, "%", "accuracy", "neutral")) == "84.8 % accuracy"
    assert label(claim(None, "x", "energy", "reduce", low=1.6, high=4.1)) == "1.6–4.1× less energy"
    assert label(claim(21_000_000, "count", "size", "neutral")) == "21M size"
    assert label(claim(5, "absolute", "latency", "reduce", unit_text="ms")) == "5 ms latency"
