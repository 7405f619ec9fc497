"""Claims on one scale, so they can be filtered and sorted: a signed factor and a signed percent.

A claim's headline number is its value, or the top of its range ("1.6x - 4.1x" counts as 4.1x). Reduce
claims are negative: "-61 % memory" is -61 % and, as a factor, -2.56x (memory divided by 2.56);
"2x less memory" is -2x and -50 %. Improve claims are positive: "2x faster" is 2x and +100 %; "+40 %
throughput" is 1.4x. Neutral claims (a level stated without change: "84.8 % top-1") keep the number as
written. Counts and absolute amounts ("3,072 GPUs", "5 ms") have neither scale and only match by kind.

The filter syntax (``claim:`` in search queries, the ``claim`` parameter of the API) is
``KIND`` or ``KIND OP NUMBER [x|%]`` with OP one of ``>= > <= < =``: ``claim:speedup>=2``,
``claim:memory``, ``claim:energy<=-30%``, ``claim:memory<=-2x``. A number without a unit is a factor.
``claim:any`` matches a paper with any claim.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paperwire.claims.extract import KINDS, Claim

ANY = "any"
FILTER = re.compile(
    r"(?P<kind>[a-z]+)(?:(?P<op>>=|<=|=|>|<)(?P<num>[+\-\u2212]?\d+(?:\.\d+)?)(?P<unit>x|\u00d7|%)?)?",
    re.IGNORECASE,
)
# plain operators: they compare floats here and build SQL conditions on columns in the store
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
}


class ClaimFilterError(ValueError):
    """A ``claim:`` filter that cannot mean anything (unknown kind, bad comparison)."""


@dataclass(frozen=True)
class ClaimFilter:
    """Papers with a claim of ``kind`` (any kind for ``any``) whose signed value passes the comparison."""

    kind: str
    op: str | None = None
    number: float | None = None
    unit: str = "x"  # "x": compare the signed factor; "%": the signed percent

    @property
    def column(self) -> str:
        return "percent" if self.unit == "%" else "factor"

    def matches(self, claim: Claim) -> bool:
        if self.kind != ANY and claim.kind != self.kind:
            return False
        if self.op is None or self.number is None:
            return True
        value = signed_percent(claim) if self.unit == "%" else signed_factor(claim)
        return value is not None and bool(OPERATORS[self.op](value, self.number))

    def __str__(self) -> str:
        if self.op is None or self.number is None:
            return f"claim:{self.kind}"
        return f"claim:{self.kind}{self.op}{self.number:g}{self.unit}"


def parse_claim_filter(text: str) -> ClaimFilter:
    """``speedup>=2`` -> ClaimFilter("speedup", ">=", 2.0, "x"); raises ClaimFilterError, one line."""
    match = FILTER.fullmatch(text.strip())
    kinds = ", ".join((*KINDS, ANY))
    if match is None:
        raise ClaimFilterError(
            f"claim: expects KIND or KIND>=NUMBER[x|%] (e.g. claim:speedup>=2, claim:energy<=-30%), got {text!r}"
        )
    kind = match["kind"].lower()
    if kind not in KINDS and kind != ANY:
        raise ClaimFilterError(f"claim: unknown kind {kind!r}; kinds: {kinds}")
    if match["op"] is None:
        return ClaimFilter(kind)
    number = float(match["num"].replace("\u2212", "-"))
    unit = "%" if match["unit"] == "%" else "x"
    return ClaimFilter(kind, match["op"], number, unit)


def headline(claim: Claim) -> float | None:
    """The claim's number: its value, or the top of its range."""
    return claim.value if claim.value is not None else claim.value_max


def signed_factor(claim: Claim) -> float | None:
    """The claim as a factor, negative for a reduction (see module docstring); None without one."""
    number = headline(claim)
    if number is None:
        return None
    if claim.unit == "x":
        return -number if claim.direction == "reduce" else number
    if claim.unit == "%" and claim.direction == "improve":
        return 1.0 + number / 100.0
    if claim.unit == "%" and claim.direction == "reduce" and 0 < number < 100:
        return -1.0 / (1.0 - number / 100.0)
    return None


def signed_percent(claim: Claim) -> float | None:
    """The claim as a percent change, negative for a reduction (a neutral % claim: its level)."""
    number = headline(claim)
    if number is None:
        return None
    if claim.unit == "%":
        return -number if claim.direction == "reduce" else number
    if claim.unit == "x" and claim.direction == "improve":
        return (number - 1.0) * 100.0
    if claim.unit == "x" and claim.direction == "reduce" and number > 0:
        return -(1.0 - 1.0 / number) * 100.0
    return None


def strength(claim: Claim) -> float:
    """How big a claim is, whatever its sign, for sorting ("claimed factor"): the size of its factor, else of
    its percent, else 0."""
    factor = signed_factor(claim)
    if factor is not None:
        return abs(factor)
    percent = signed_percent(claim)
    return abs(percent) / 100.0 if percent is not None else 0.0
