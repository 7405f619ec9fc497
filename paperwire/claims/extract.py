"""Finds the numbers an abstract reports about its own work, with unit, kind and direction.

Pure and deterministic: no network, no model, no hash-order dependence. Rules: docs/claims.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNITS = ("x", "%", "count", "absolute")
KINDS = (
    "speedup",
    "memory",
    "energy",
    "accuracy",
    "throughput",
    "latency",
    "cost",
    "size",
    "compute",
    "error",
    "other",
)
DIRECTIONS = ("improve", "reduce", "neutral")


@dataclass(frozen=True)
class Claim:
    """One claim; ``text == abstract[start:end]``; a range sets value_min/value_max and leaves value None."""

    text: str
    start: int
    end: int
    value: float | None
    value_min: float | None
    value_max: float | None
    unit: str  # "x" | "%" | "count" | "absolute"
    unit_text: str | None
    kind: str  # speedup|memory|energy|accuracy|throughput|latency|cost|size|compute|error|other
    direction: str  # improve|reduce|neutral

    def as_json(self) -> dict[str, Any]:
        """The CLI's and API's shape: value or value_min/value_max, unit_text only for absolute units."""
        out: dict[str, Any] = {"text": self.text}
        if self.value is not None:
            out["value"] = self.value
        else:
            out["value_min"] = self.value_min
            out["value_max"] = self.value_max
        out["unit"] = self.unit
        if self.unit == "absolute":
            out["unit_text"] = self.unit_text
        out["kind"] = self.kind
        out["direction"] = self.direction
        return out


def extract_claims(abstract: str) -> list[Claim]:
    """The claims in ``abstract``, in text order."""
    return []
