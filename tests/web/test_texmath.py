"""Math spans for KaTeX: real TeX is marked, prices and stray dollars are not, everything is escaped."""

from __future__ import annotations

import pytest

from paperwire.web.texmath import mark_math


def test_inline_and_display_math_are_marked() -> None:
    html = str(mark_math(r"We set $\alpha=0.5$ and $$x^2$$ then \(\beta\)."))
    assert '<span class="math" data-tex="\\alpha=0.5" data-display="false">$\\alpha=0.5$</span>' in html
    assert 'data-tex="x^2" data-display="true"' in html
    assert 'data-tex="\\beta" data-display="false"' in html


@pytest.mark.parametrize(
    "text", ["costs $5 and $10 more", "between $1M and $2M", "87-$89% of", "$ x $", r"a \$5 fee and $3"]
)
def test_dollars_that_are_not_math(text: str) -> None:
    assert "<span" not in str(mark_math(text))


def test_html_is_escaped_inside_and_outside_math() -> None:
    html = str(mark_math('<script>alert(1)</script> $x<y$ "q"'))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'data-tex="x&lt;y"' in html and "&#34;q&#34;" in html
