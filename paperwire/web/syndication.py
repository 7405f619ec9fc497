"""RSS 2.0 and Atom documents (feedgen writes the XML) for every feed the app serves: the daily list,
trending, searches, public tags, saved searches and follows.

Each item's GUID is ``arxiv:ID``: it does not depend on this instance's URL, so a reader that follows
two instances, or an instance that moves, does not see a paper twice. An item is dated by its list day,
else by the paper's publication date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Literal, Protocol

from fastapi.responses import Response
from feedgen.feed import FeedGenerator

Format = Literal["rss", "atom"]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
UNDATED = dt.date(1970, 1, 1)
MEDIA_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


class FeedPaper(Protocol):
    """What an item shows of a paper (an ORM ``Paper`` or a ``PaperRow``)."""

    @property
    def arxiv_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def abstract(self) -> str: ...
    @property
    def authors(self) -> list[str]: ...
    @property
    def categories(self) -> list[str]: ...
    @property
    def published(self) -> dt.date | None: ...


def _clean(text: str) -> str:
    """XML 1.0 cannot carry control characters; a single bad abstract must not break the feed."""
    return CONTROL.sub("", text)


def feed_response(
    fmt: Format,
    *,
    base_url: str,
    title: str,
    self_url: str,
    page_url: str,
    papers: Sequence[tuple[FeedPaper, dt.date | None]],
) -> Response:
    """A feed of ``papers`` (each with its list day, if any), in the order given; links point at this
    instance's paper pages (``base_url``)."""
    base = base_url.rstrip("/")
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(_clean(title))
    fg.description(_clean(title))
    fg.link(href=self_url, rel="self")
    fg.link(href=page_url, rel="alternate")  # after "self": RSS's channel <link> is the last one set
    fg.language("en")
    newest = dt.datetime.combine(UNDATED, dt.time(), tzinfo=dt.UTC)
    for paper, day in papers:
        when = dt.datetime.combine(day or paper.published or UNDATED, dt.time(), tzinfo=dt.UTC)
        newest = max(newest, when)
        entry = fg.add_entry(order="append")
        entry.id(f"arxiv:{paper.arxiv_id}")
        entry.guid(f"arxiv:{paper.arxiv_id}", permalink=False)
        entry.title(_clean(paper.title))
        entry.link(href=f"{base}/papers/{paper.arxiv_id}")
        entry.description(_clean(paper.abstract) or _clean(paper.title))
        entry.published(when)
        entry.updated(when)
        for name in paper.authors[:20]:
            if name.strip():
                entry.author({"name": _clean(name)})
        for category in paper.categories[:10]:
            entry.category(term=_clean(category))
    fg.updated(newest)
    body = fg.rss_str(pretty=False) if fmt == "rss" else fg.atom_str(pretty=False)
    return Response(body, media_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8")
