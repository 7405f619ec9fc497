"""Server-rendered SVG bar charts: no JavaScript, no charting library, nothing fetched.

A chart is a few dozen rectangles with a ``<title>`` each (the browser shows it as a tooltip, screen
readers read it) and, where a bar has a page of its own, a link to it. Colours come from the
stylesheet (``.chart`` classes), so the charts follow the site's theme and its CSP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
HEIGHT = 150
LEFT = 44  # room for the y-axis labels
BOTTOM = 18  # room for the x-axis labels


@dataclass(frozen=True)
class Bar:
    label: str  # x-axis text: a day or a month
    value: int
    title: str  # the tooltip: what the bar counts, in words
    href: str | None = None
    muted: bool = False  # an expected-empty day (weekend, holiday)


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value``, so the top label reads well."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def bar_chart(bars: Sequence[Bar], *, caption: str, ticks: int = 6) -> Markup:
    """An accessible SVG bar chart; ``ticks`` x-axis labels are spread evenly over the bars."""
    top = _nice_max(max((b.value for b in bars), default=0) or 1)
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM
    slot = plot_w / max(len(bars), 1)
    every = max(1, round(len(bars) / ticks))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(caption)}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
        f'<line class="axis" x1="{LEFT}" y1="{plot_h}" x2="{WIDTH}" y2="{plot_h}"/>',
        f'<text class="tick" x="{LEFT - 4}" y="10" text-anchor="end">{top:,}</text>',
        f'<text class="tick" x="{LEFT - 4}" y="{plot_h}" text-anchor="end">0</text>',
    ]
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / top
        x = LEFT + i * slot
        rect = (
            f'<rect class="bar{" muted" if bar.muted else ""}" x="{x + slot * 0.1:.1f}" y="{plot_h - h:.1f}"'
            f' width="{max(slot * 0.8, 1):.1f}" height="{max(h, 0):.1f}"><title>{escape(bar.title)}</title></rect>'
        )
        parts.append(f'<a href="{escape(bar.href)}">{rect}</a>' if bar.href else rect)
        if i % every == 0:
            parts.append(
                f'<text class="tick" x="{x + slot / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle">'
                f"{escape(bar.label)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated value above is escaped or numeric
