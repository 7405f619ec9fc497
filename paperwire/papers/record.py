"""The normalised Record every source produces, and the error a bad input record becomes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from paperwire.papers import fields
from paperwire.papers.ids import InvalidArxivId, abs_url, parse_arxiv_id, pdf_url
from paperwire.papers.links import code_links, project_page
from paperwire.papers.text import clean_name

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
    """A record that cannot be stored; ``str()`` is the one line shown to the user.

    Every part is made printable on one line (control characters and lone surrogates escaped) and
    clipped, since ids and reasons often quote the bad input itself.
    """

    def __init__(self, where: str, reason: str, field: str | None = None, record_id: str | None = None):
        self.where = one_line(where, 500)
        self.field = one_line(field, 60) if field else None
        self.reason = one_line(reason, 300)
        self.record_id = one_line(record_id, 80) if record_id else None
        parts = [self.where]
        if self.record_id:
            parts.append(f"id {self.record_id}")
        if self.field:
            parts.append(f"field {self.field!r}")
        super().__init__(f"{': '.join(parts)}: {self.reason}")

    def __reduce__(self) -> tuple[type[RecordError], tuple[str, str, str | None, str | None]]:
        return (RecordError, (self.where, self.reason, self.field, self.record_id))

    def as_dict(self) -> dict[str, str | None]:
        return {"where": self.where, "id": self.record_id, "field": self.field, "reason": self.reason}


def one_line(value: str, limit: int) -> str:
    """``value`` as printable text on one line, at most ``limit`` characters."""
    text = value.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _listing(listing: DailyListing | None) -> DailyListing | None:
    if listing is None:
        return None
    return DailyListing(
        day=listing.day,
        upvotes=fields.count(listing.upvotes, "upvotes"),
        submitter=fields.optional_text(listing.submitter, "submitter"),
        num_comments=fields.count(listing.num_comments, "num_comments"),
    )


def build_record(
    where: str,
    *,
    arxiv_id: Any,
    title: Any,
    abstract: Any,
    authors: Any,
    version: int | None = None,
    categories: Any = None,
    published: dt.date | None = None,
    updated: dt.date | None = None,
    doi: Any = None,
    journal_ref: Any = None,
    comments: Any = None,
    license: Any = None,
    extra_code_urls: Any = None,
    project_page_url: Any = None,
    github_stars: Any = None,
    ai_summary: Any = None,
    ai_keywords: Any = None,
    listing: DailyListing | None = None,
) -> Record:
    """Validate and normalise one record; every source funnels through here so rules live in one place.

    Any value of any type may come in: what a field cannot hold (papers/fields.py) is a RecordError.
    """
    if not isinstance(arxiv_id, str) or not arxiv_id.strip():
        raise RecordError(where, "missing arXiv id", field="id")
    try:
        base_id, id_version = parse_arxiv_id(arxiv_id[:100])
    except InvalidArxivId as exc:
        raise RecordError(where, str(exc), field="id") from None
    if len(arxiv_id) > 100:
        raise RecordError(where, "not an arXiv id (too long)", field="id")
    try:
        return _build(
            base_id,
            version if version is not None else id_version,
            title=title,
            abstract=abstract,
            authors=authors,
            categories=categories,
            published=published,
            updated=updated,
            doi=doi,
            journal_ref=journal_ref,
            comments=comments,
            license=license,
            extra_code_urls=extra_code_urls,
            project_page_url=project_page_url,
            github_stars=github_stars,
            ai_summary=ai_summary,
            ai_keywords=ai_keywords,
            listing=listing,
        )
    except fields.FieldProblem as exc:
        raise RecordError(where, str(exc), field=exc.field, record_id=base_id) from None


def _build(base_id: str, version: Any, **values: Any) -> Record:
    title = fields.text(values["title"], "title")
    if not title:
        raise fields.FieldProblem("title", "missing title")
    if not isinstance(values["authors"], list):
        raise fields.FieldProblem("authors", "expected a list of names")
    comments = values["comments"]
    if comments in ("None", ""):
        comments = None
    clean_abstract = fields.text(values["abstract"], "abstract")
    clean_comments = fields.optional_text(comments, "comments")
    extra = values["extra_code_urls"] or []
    if not isinstance(extra, list):
        raise fields.FieldProblem("code_url", f"expected a URL, got {type(extra).__name__}")
    extra_urls = [u for u in (fields.http_url(u, "code_url") for u in extra) if u]
    cats = fields.text_list(values["categories"], "categories", "category")
    keywords = fields.text_list(values["ai_keywords"], "ai_keywords", "keyword")
    stars = values["github_stars"]
    return Record(
        arxiv_id=base_id,
        version=fields.count(version, "version", fields.MAX_VERSION) if version is not None else None,
        title=title,
        abstract=clean_abstract,
        authors=fields.text_list(values["authors"], "authors", "author", clean_name),
        categories=cats,
        primary_category=cats[0] if cats else None,
        published=values["published"],
        updated=values["updated"],
        doi=fields.optional_text(values["doi"], "doi"),
        journal_ref=fields.optional_text(values["journal_ref"], "journal_ref"),
        comments=clean_comments,
        license=fields.optional_text(values["license"], "license"),
        code_urls=code_links(*extra_urls, clean_abstract, clean_comments),
        project_page=fields.http_url(values["project_page_url"], "project_page")
        or project_page(clean_abstract, clean_comments),
        github_stars=fields.count(stars, "github_stars") if stars is not None else None,
        ai_summary=fields.optional_text(values["ai_summary"], "ai_summary"),
        ai_keywords=keywords or None,
        listing=_listing(values["listing"]),
    )
