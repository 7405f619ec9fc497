"""paperwire's own interchange format, as JSON Lines or CSV (documented in docs/formats.md).

Required: ``id`` (an arXiv id) and ``title``. Optional: ``abstract``, ``authors`` (a list, or one
string separated by ``;``), ``categories`` (a list, or space-separated), ``published``, ``updated``
(YYYY-MM-DD), ``doi``, ``journal_ref``, ``comments``, ``license``, ``code_url``, ``project_page``,
and for a daily list: ``list_day``, ``upvotes``, ``submitter``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from paperwire.config import Settings
from paperwire.ingest.inputs import Cursor, Item, expand, json_object, open_text, read_lines, skip_to
from paperwire.papers.dates import parse_day
from paperwire.papers.record import DailyListing, Record, RecordError, build_record

FIELDS = (
    "id",
    "title",
    "abstract",
    "authors",
    "categories",
    "published",
    "updated",
    "doi",
    "journal_ref",
    "comments",
    "license",
    "code_url",
    "project_page",
    "list_day",
    "upvotes",
    "submitter",
)


def _list(value: Any, sep: str | None) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [v.strip() for v in value.split(sep) if v.strip()]
    raise TypeError(f"expected a list or a string, got {type(value).__name__}")


def from_mapping(obj: dict[str, Any], where: str) -> Record:
    record_id = obj.get("id") if isinstance(obj.get("id"), str) else None

    def fail(name: str, reason: str) -> RecordError:
        return RecordError(where, reason, field=name, record_id=record_id)

    values: dict[str, Any] = {}
    for name in ("published", "updated", "list_day"):
        try:
            values[name] = parse_day(obj.get(name))
        except ValueError as exc:
            raise fail(name, str(exc)) from None
    for name, sep in (("authors", ";"), ("categories", None)):
        try:
            values[name] = _list(obj.get(name), sep)
        except TypeError as exc:
            raise fail(name, str(exc)) from None
    upvotes = obj.get("upvotes")
    try:
        upvotes = int(upvotes) if upvotes not in (None, "") else 0
    except (TypeError, ValueError):
        raise fail("upvotes", f"not a whole number: {upvotes!r}") from None
    if upvotes < 0:
        raise fail("upvotes", "must not be negative")
    listing = None
    if values["list_day"]:
        listing = DailyListing(
            day=values["list_day"], upvotes=upvotes, submitter=obj.get("submitter") or None
        )
    code = obj.get("code_url")
    return build_record(
        where,
        arxiv_id=obj.get("id"),
        title=obj.get("title"),
        abstract=obj.get("abstract") or "",
        authors=values["authors"],
        categories=values["categories"],
        published=values["published"],
        updated=values["updated"],
        doi=obj.get("doi"),
        journal_ref=obj.get("journal_ref"),
        comments=obj.get("comments"),
        license=obj.get("license"),
        extra_code_urls=[code] if isinstance(code, str) and code else None,
        project_page_url=obj.get("project_page") or None,
        listing=listing,
    )


def parse_json_line(line: str, where: str) -> Record:
    obj = json_object(line, where)
    return from_mapping(obj, where)


def read_jsonl(targets: list[str], settings: Settings, resume: Cursor | None) -> Iterator[Item]:
    return read_lines(targets, resume, parse_json_line, settings.ingest_workers)


def read_csv(targets: list[str], settings: Settings, resume: Cursor | None) -> Iterator[Item]:
    files, skip = skip_to(expand(targets), resume)
    for i, path in enumerate(files):
        with open_text(path) as handle:
            reader = csv.DictReader(handle)
            missing = {"id", "title"} - set(reader.fieldnames or [])
            if missing:
                yield (
                    RecordError(f"{path}:1", f"header lacks column(s) {', '.join(sorted(missing))}"),
                    {
                        "file": str(path),
                        "line": 1,
                    },
                )
                continue
            for row in reader:
                line = reader.line_num
                if i == 0 and line <= skip:
                    continue
                where = f"{path}:{line}"
                try:
                    item: Record | RecordError = from_mapping(dict(row), where)
                except RecordError as exc:
                    item = exc
                yield item, {"file": str(path), "line": line}
