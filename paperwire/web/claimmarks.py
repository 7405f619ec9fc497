"""An abstract as safe HTML with its claims marked, math spans kept whole for KaTeX."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from paperwire.claims import Claim
from paperwire.claims.labels import label
from paperwire.web.texmath import MATH, mark_math


def _spans(text: str, claims: Sequence[Claim]) -> list[tuple[int, int, Claim]]:
    """Claim ranges grown to cover any math span they cut into, overlapping ones dropped."""
    maths = [m.span() for m in MATH.finditer(text)] if "$" in text or "\\" in text else []
    spans: list[tuple[int, int, Claim]] = []
    for claim in sorted(claims, key=lambda c: (c.start, -c.end)):
        start, end = claim.start, claim.end
        if not (0 <= start < end <= len(text)) or text[start:end] != claim.text:
            continue  # stored for another version of the abstract
        for lo, hi in maths:
            if lo < end and start < hi:
                start, end = min(start, lo), max(end, hi)
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, end, claim))
    return spans


def mark_claims(text: str, claims: Sequence[Claim] | None) -> Markup:
    """HTML-escaped ``text`` (math marked as ``mark_math`` does) with each claim in ``<mark class="claim">``."""
    if not claims:
        return mark_math(text)
    out: list[str] = []
    last = 0
    for start, end, claim in _spans(text, claims):
        out.append(str(mark_math(text[last:start])))
        out.append(
            f'<mark class="claim claim-{escape(claim.kind)}" title="{escape(label(claim))}">'
            f"{mark_math(text[start:end])}</mark>"
        )
        last = end
    out.append(str(mark_math(text[last:])))
    return Markup("".join(out))  # noqa: S704 (every piece above was escaped)
