"""Short labels for claims, as chips on pages and in digests: "2× faster", "−61 % memory", "84.8 % accuracy"."""

from __future__ import annotations

from paperwire.claims.extract import Claim

NOUNS = {
    "speedup": "speed",
    "memory": "memory",
    "energy": "energy",
    "accuracy": "accuracy",
    "throughput": "throughput",
    "latency": "latency",
    "cost": "cost",
    "size": "size",
    "compute": "compute",
    "error": "error",
    "other": "",
}
MINUS = "\u2212"


def number(value: float) -> str:
    """A claim's number as people write it: 2, 84.8, 3,072, 21M, 7B."""
    size = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if size >= scale:
            return f"{value / scale:.3g}{suffix}"
    if size >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _amount(claim: Claim) -> str:
    if claim.value is not None:
        return number(claim.value)
    low = number(claim.value_min) if claim.value_min is not None else "?"
    high = number(claim.value_max) if claim.value_max is not None else "?"
    return f"{low}–{high}"


def label(claim: Claim) -> str:
    """The chip's text; the claim's own words (``claim.text``) go in its tooltip."""
    amount, noun = _amount(claim), NOUNS.get(claim.kind, claim.kind)
    reduce, improve = claim.direction == "reduce", claim.direction == "improve"
    if claim.unit == "x":
        if claim.kind == "speedup" and not reduce:
            return f"{amount}× faster"
        return f"{amount}× {'less ' if reduce else ''}{noun}".strip()
    sign = MINUS if reduce else "+" if improve else ""
    if claim.unit == "%":
        if claim.kind == "speedup" and improve:
            return f"{amount} % faster"
        return f"{sign}{amount} % {noun}".strip()
    # an amount ("to 12.66 FPS", "3,072 GPUs") is shown as stated: a sign would read as a change by it
    unit = f" {claim.unit_text}" if claim.unit == "absolute" and claim.unit_text else ""
    return f"{amount}{unit} {noun}".strip()
