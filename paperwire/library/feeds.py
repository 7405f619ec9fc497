"""RSS 2.0 and Atom documents for public tags, saved searches and follows (feedgen does the XML)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from feedgen.feed import FeedGenerator

from paperwire.db.models import Paper

FORMATS = ("atom", "rss")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """XML 1.0 cannot carry control characters; one bad abstract must not break a feed."""
    return CONTROL.sub("", text)


def render_feed(
    papers: Sequence[Paper], *, title: str, link: str, feed_id: str, fmt: str = "atom", description: str = ""
) -> bytes:
    """One feed entry per paper, newest first as given; the entry id is the arXiv abs URL (stable)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown feed format {fmt!r}: use atom or rss")
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(_clean(title))
    fg.link(href=link, rel="alternate")
    fg.description(_clean(description or title))
    fg.language("en")
    newest = max((_when(p) for p in papers), default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    fg.updated(newest)
    for paper in reversed(list(papers)):  # feedgen prepends entries: add oldest first
        entry = fg.add_entry()
        entry.id(paper.abs_url)
        entry.title(_clean(paper.title))
        entry.link(href=paper.abs_url)
        entry.summary(_clean(paper.abstract or paper.title))
        for name in (n for n in paper.authors[:20] if n.strip()):
            entry.author(name=_clean(name))
        entry.published(_when(paper))
        entry.updated(_when(paper))
        for category in paper.categories:
            entry.category(term=category)
    data: bytes = fg.atom_str(pretty=True) if fmt == "atom" else fg.rss_str(pretty=True)
    return data


def _when(paper: Paper) -> dt.datetime:
    day = paper.published or (paper.created_at.date() if paper.created_at else dt.date(2000, 1, 1))
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def media_type(fmt: str) -> str:
    return "application/atom+xml" if fmt == "atom" else "application/rss+xml"
