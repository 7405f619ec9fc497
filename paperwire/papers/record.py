"""The normalised Record every source produces, and the error a bad input record becomes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from paperwire.papers.ids import InvalidArxivId, abs_url, parse_arxiv_id, pdf_url
from paperwire.papers.links import code_links, project_page
from paperwire.papers.text import clean_name, clean_text

# Fields of a paper a source may leave empty; an empty value never overwrites a stored one.
PAPER_FIELDS = (
    "version",
    "title",
    "abstract",
    "authors",
    "categories",
    "primary_category",
    "published",
    "updated",
    "doi",
    "journal_ref",
    "comments",
    "license",
    "code_urls",
    "project_page",
    "github_stars",
    "ai_summary",
    "ai_keywords",
)


@dataclass(slots=True)
class DailyListing:
    """The paper's appearance on a community daily list."""

    day: dt.date
    upvotes: int = 0
    submitter: str | None = None
    num_comments: int = 0


@dataclass(slots=True)
class Record:
    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    version: int | None = None
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    published: dt.date | None = None
    updated: dt.date | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None
    code_urls: list[str] = field(default_factory=list)
    project_page: str | None = None
    github_stars: int | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    listing: DailyListing | None = None

    def paper_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PAPER_FIELDS}

    @property
    def abs_url(self) -> str:
        return abs_url(self.arxiv_id)

    @property
    def pdf_url(self) -> str:
        return pdf_url(self.arxiv_id)


class RecordError(Exception):
    """A record that cannot be stored; ``str()`` is the one line shown to the user."""

    def __init__(self, where: str, reason: str, field: str | None = None, record_id: str | None = None):
        self.where = where
        self.field = field
        self.reason = reason
        self.record_id = record_id
        parts = [where]
        if record_id:
            parts.append(f"id {record_id}")
        if field:
            parts.append(f"field {field!r}")
        super().__init__(f"{': '.join(parts)}: {reason}")

    def __reduce__(self) -> tuple[type[RecordError], tuple[str, str, str | None, str | None]]:
        return (RecordError, (self.where, self.reason, self.field, self.record_id))

    def as_dict(self) -> dict[str, str | None]:
        return {"where": self.where, "id": self.record_id, "field": self.field, "reason": self.reason}


def build_record(
    where: str,
    *,
    arxiv_id: Any,
    title: Any,
    abstract: Any,
    authors: Any,
    version: int | None = None,
    categories: list[str] | None = None,
    published: dt.date | None = None,
    updated: dt.date | None = None,
    doi: str | None = None,
    journal_ref: str | None = None,
    comments: str | None = None,
    license: str | None = None,
    extra_code_urls: list[str] | None = None,
    project_page_url: str | None = None,
    github_stars: int | None = None,
    ai_summary: str | None = None,
    ai_keywords: list[str] | None = None,
    listing: DailyListing | None = None,
) -> Record:
    """Validate and normalise one record; every source funnels through here so rules live in one place."""
    if not isinstance(arxiv_id, str) or not arxiv_id.strip():
        raise RecordError(where, "missing arXiv id", field="id")
    try:
        base_id, id_version = parse_arxiv_id(arxiv_id)
    except InvalidArxivId as exc:
        raise RecordError(where, str(exc), field="id") from None
    if not isinstance(title, str) or not clean_text(title):
        raise RecordError(where, "missing title", field="title", record_id=base_id)
    if abstract is not None and not isinstance(abstract, str):
        raise RecordError(
            where, f"expected text, got {type(abstract).__name__}", field="abstract", record_id=base_id
        )
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise RecordError(where, "expected a list of names", field="authors", record_id=base_id)
    if comments in ("None", ""):
        comments = None
    cats = [c for c in (categories or []) if c]
    clean_abstract = clean_text(abstract)
    clean_comments = clean_text(comments) or None
    links = code_links(*(extra_code_urls or []), clean_abstract, clean_comments)
    return Record(
        arxiv_id=base_id,
        version=version or id_version,
        title=clean_text(title),
        abstract=clean_abstract,
        authors=[n for n in (clean_name(a) for a in authors) if n],
        categories=cats,
        primary_category=cats[0] if cats else None,
        published=published,
        updated=updated,
        doi=(doi or "").strip() or None,
        journal_ref=clean_text(journal_ref) or None,
        comments=clean_comments,
        license=(license or "").strip() or None,
        code_urls=links,
        project_page=project_page_url or project_page(clean_abstract, clean_comments),
        github_stars=github_stars,
        ai_summary=clean_text(ai_summary) or None,
        ai_keywords=ai_keywords or None,
        listing=listing,
    )
