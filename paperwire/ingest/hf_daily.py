"""Hugging Face Daily Papers: ``/api/daily_papers?date=YYYY-MM-DD`` responses, saved or fetched.

Quirks of the real responses, all handled here:
- some days hold a JSON array of *strings*, each the Python ``repr()`` of an item;
- one day is wrapped as ``{status, date, count, data}``;
- ``upvotes`` sits on ``paper``, ``numComments`` on the outer item;
- fields appear over time (``ai_summary``, ``ai_keywords``, ``githubRepo``, ``githubStars``).
The list day is the ``date`` the response was for (the file name or wrapper), else the paper's
``submittedOnDailyAt``.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from paperwire.config import Settings
from paperwire.ingest.arxiv_daily import listing_day
from paperwire.ingest.inputs import Cursor, Item, expand, open_text, skip_to
from paperwire.papers.dates import parse_day
from paperwire.papers.record import DailyListing, Record, RecordError, build_record


def _submitter(item: dict[str, Any], paper: dict[str, Any]) -> str | None:
    for who in (paper.get("submittedOnDailyBy"), item.get("submittedBy")):
        if isinstance(who, dict):
            name = who.get("user") or who.get("name") or who.get("fullname")
            if isinstance(name, str) and name:
                return name
    return None


def parse_item(raw: Any, where: str, day: dt.date | None) -> Record:
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise RecordError(where, "item is a string but not a Python literal") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("paper"), dict):
        raise RecordError(where, "expected an object with a 'paper' object", field="paper")
    paper: dict[str, Any] = raw["paper"]
    paper_id = paper.get("id") if isinstance(paper.get("id"), str) else None
    try:
        published = parse_day(paper.get("publishedAt") or raw.get("publishedAt"))
        list_day = day or parse_day(paper.get("submittedOnDailyAt"))
    except ValueError as exc:
        raise RecordError(where, str(exc), field="publishedAt", record_id=paper_id) from None
    if list_day is None:
        raise RecordError(where, "no list day (file name or submittedOnDailyAt)", record_id=paper_id)
    authors = paper.get("authors") or []
    if not isinstance(authors, list):
        raise RecordError(where, "expected a list", field="authors", record_id=paper_id)
    names = [a.get("name") for a in authors if isinstance(a, dict)]
    upvotes = paper.get("upvotes", 0)
    if not isinstance(upvotes, int) or upvotes < 0:
        raise RecordError(where, f"not a vote count: {upvotes!r}", field="upvotes", record_id=paper_id)
    comments = raw.get("numComments") or 0
    repo = paper.get("githubRepo")
    stars = paper.get("githubStars")
    keywords = paper.get("ai_keywords")
    return build_record(
        where,
        arxiv_id=paper.get("id"),
        title=paper.get("title") or raw.get("title"),
        abstract=paper.get("summary") or raw.get("summary") or "",
        authors=[n for n in names if isinstance(n, str)],
        published=published,
        extra_code_urls=[repo] if isinstance(repo, str) and repo else None,
        project_page_url=paper.get("projectPage") or None,
        github_stars=stars if isinstance(stars, int) else None,
        ai_summary=paper.get("ai_summary") if isinstance(paper.get("ai_summary"), str) else None,
        ai_keywords=[k for k in keywords if isinstance(k, str)] if isinstance(keywords, list) else None,
        listing=DailyListing(
            day=list_day,
            upvotes=upvotes,
            submitter=_submitter(raw, paper),
            num_comments=comments if isinstance(comments, int) else 0,
        ),
    )


def parse_document(
    data: Any, where: str, day: dt.date | None, start: int = 0
) -> Iterator[tuple[Record | RecordError, int]]:
    """Items of one response, each with its index (the resume unit)."""
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        with contextlib.suppress(ValueError):
            day = parse_day(data.get("date")) or day
        data = data["data"]
    if not isinstance(data, list):
        yield RecordError(where, "expected a JSON array of daily-paper items"), 0
        return
    for index, raw in enumerate(data):
        if index < start:
            continue
        try:
            item: Record | RecordError = parse_item(raw, f"{where}: item {index}", day)
        except RecordError as exc:
            item = exc
        yield item, index + 1


def read(targets: list[str], settings: Settings, resume: Cursor | None) -> Iterator[Item]:
    files, skip = skip_to(expand(targets), resume)
    for i, path in enumerate(files):
        with open_text(path) as handle:
            try:
                data = json.load(handle)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield RecordError(str(path), f"invalid JSON: {exc}"), {"file": str(path), "item": 0}
                continue
        for item, index in parse_document(data, str(path), listing_day(str(path)), skip if i == 0 else 0):
            yield item, {"file": str(path), "item": index}
