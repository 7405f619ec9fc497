"""paperwire's own interchange format, as JSON Lines or CSV (documented in docs/formats.md).

Required: ``id`` (an arXiv id) and ``title``. Optional: ``abstract``, ``authors`` (a list, or one
string separated by ``;``), ``categories`` (a list, or space-separated), ``published``, ``updated``
(YYYY-MM-DD), ``doi``, ``journal_ref``, ``comments``, ``license``, ``code_url``, ``project_page``,
and for a daily list: ``list_day``, ``upvotes``, ``submitter``.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from paperwire.config import Settings
from paperwire.ingest.inputs import (
    JSON_LINES,
    MAX_LINE_BYTES,
    Cursor,
    ReadResult,
    decoded_lines,
    expand,
    json_object,
    parse_safely,
    read_lines,
    skip_to,
)
from paperwire.papers import fields
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
CSV_FILES = (".csv",)
csv.field_size_limit(MAX_LINE_BYTES)  # the csv module's limit is process-wide; ours is the same everywhere


def _list(value: Any, sep: str | None) -> Any:
    """A list as given, or one string split on ``sep``; other types are left for build_record to refuse."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(sep) if v.strip()]
    return value


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
    try:  # checked even without a list_day, where they are not used: a bad value is a bad record
        upvotes = fields.count(obj.get("upvotes") or 0, "upvotes")
        submitter = fields.optional_text(obj.get("submitter"), "submitter")
    except fields.FieldProblem as exc:
        raise fail(exc.field, str(exc)) from None
    listing = None
    if values["list_day"]:
        listing = DailyListing(day=values["list_day"], upvotes=upvotes, submitter=submitter)
    code = obj.get("code_url")
    return build_record(
        where,
        arxiv_id=obj.get("id"),
        title=obj.get("title"),
        abstract=obj.get("abstract") or "",
        authors=_list(obj.get("authors"), ";"),
        categories=_list(obj.get("categories"), None),
        published=values["published"],
        updated=values["updated"],
        doi=obj.get("doi"),
        journal_ref=obj.get("journal_ref"),
        comments=obj.get("comments"),
        license=obj.get("license"),
        extra_code_urls=[code] if code not in (None, "") else None,
        project_page_url=obj.get("project_page") or None,
        listing=listing,
    )


def parse_json_line(line: str, where: str) -> Record:
    obj = json_object(line, where)
    return from_mapping(obj, where)


def read_jsonl(targets: list[str], settings: Settings, resume: Cursor | None) -> Iterator[ReadResult]:
    return read_lines(targets, resume, parse_json_line, settings.ingest_workers, JSON_LINES)


def _physical_lines(path: Path, bad: dict[int, RecordError]) -> Iterator[str]:
    """The file's lines for the csv module; an unreadable line is noted in ``bad`` and read as empty,
    so the row it belongs to can be refused while the line count stays right."""
    for number, line in decoded_lines(path):
        if isinstance(line, RecordError):
            bad[number] = line
            yield "\n"
        else:
            yield line


def csv_rows(path: Path) -> Iterator[tuple[int, int, dict[str, Any] | RecordError]]:
    """Each row with its first and last line (a quoted field may hold newlines), as a mapping from
    the header's names, or the RecordError that stands for it."""
    bad: dict[int, RecordError] = {}
    reader = csv.reader(_physical_lines(path, bad))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, 1, RecordError(f"{path}:1", f"unreadable header: {exc}")
        return
    if 1 in bad:
        yield 1, 1, bad[1]
        return
    missing = {"id", "title"} - set(header)
    if missing:
        yield 1, 1, RecordError(f"{path}:1", f"header lacks column(s) {', '.join(sorted(missing))}")
        return
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield start, end, RecordError(f"{path}:{start}", f"not a CSV row: {exc}")
            continue
        end = reader.line_num
        broken = [bad[n] for n in range(start, end + 1) if n in bad]
        if broken:
            yield start, end, broken[0]
        elif any(cell.strip() for cell in row):
            yield start, end, dict(zip(header, row, strict=False))


def read_csv(targets: list[str], settings: Settings, resume: Cursor | None) -> Iterator[ReadResult]:
    files, skip = skip_to(expand(targets, CSV_FILES), resume)
    for i, path in enumerate(files):
        for start, end, row in csv_rows(path):
            if i == 0 and end <= skip:
                continue
            where = f"{path}:{start}"
            if isinstance(row, RecordError):
                item: Record | RecordError = row
            else:
                item = parse_safely(functools.partial(from_mapping, row, where), where)
            yield item, {"file": str(path), "line": end}
