"""Find TeX math in titles and abstracts so the page script can typeset just those spans with KaTeX.

Dollars are ambiguous ("costs $5 and $10"), so inline math follows Pandoc's rule: the opening ``$``
is followed by a non-space, the closing one preceded by a non-space and not followed by a digit.
Without JavaScript the spans show the TeX as written, which researchers read fine.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

MATH = re.compile(
    r"\$\$(?P<display>[^$]+?)\$\$"
    r"|\\\[(?P<display2>.+?)\\\]"
    r"|\\\((?P<inline2>.+?)\\\)"
    r"|(?<![\\$])\$(?P<inline>[^\s$](?:[^$]*?[^\s$\\])?)\$(?!\d)",
    re.DOTALL,
)


def mark_math(text: str) -> Markup:
    """HTML-escaped ``text`` with each math span wrapped in ``<span class="math" data-display=...>``."""
    if "$" not in text and "\\(" not in text and "\\[" not in text:
        return escape(text)
    out: list[str] = []
    last = 0
    for match in MATH.finditer(text):
        out.append(str(escape(text[last : match.start()])))
        display = match.group("display") is not None or match.group("display2") is not None
        tex = next(g for g in (match.group(n) for n in ("display", "display2", "inline2", "inline")) if g)
        out.append(
            f'<span class="math" data-tex="{escape(tex)}" data-display="{str(display).lower()}">'
            f"{escape(match.group(0))}</span>"
        )
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))  # noqa: S704 (every piece above was escaped)
