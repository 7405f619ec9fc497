"""Daily arXiv new-submission listings: one ``YYYY-MM-DD.jsonl[.gz]`` file per listing day.

Fields: ``id, categories, pdf, abs, authors, title, comment, summary``. The file's day is the
announcement day; it becomes the paper's first-published day only for new submissions (an id from
the same or previous month), since the same id recurs later as a cross-list or replacement.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from pathlib import Path

from paperwire.config import Settings
from paperwire.ingest.inputs import JSON_LINES, Cursor, ReadResult, json_object, read_lines
from paperwire.papers.record import Record, build_record

DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")
NEW_ID = re.compile(r"(\d{2})(\d{2})\.\d{4,5}")


@functools.lru_cache(maxsize=64)
def listing_day(path: str) -> dt.date | None:
    match = DAY.search(Path(path).name)
    return dt.date.fromisoformat(match.group(1)) if match else None


def _published(arxiv_id: str, day: dt.date | None) -> dt.date | None:
    match = NEW_ID.match(arxiv_id)
    if not (match and day):
        return None
    month = (2000 + int(match.group(1))) * 12 + int(match.group(2))
    listed = day.year * 12 + day.month
    return day if listed - 1 <= month <= listed else None


def parse_line(line: str, where: str) -> Record:
    obj = json_object(line, where)
    categories = obj.get("categories") or []
    if isinstance(categories, str):
        categories = categories.split()
    record = build_record(
        where,
        arxiv_id=obj.get("id"),
        title=obj.get("title"),
        abstract=obj.get("summary"),
        authors=obj.get("authors"),
        categories=categories,
        comments=obj.get("comment"),
    )
    record.published = _published(record.arxiv_id, listing_day(where.rsplit(":", 1)[0]))
    return record


def read(targets: list[str], settings: Settings, resume: Cursor | None) -> Iterator[ReadResult]:
    return read_lines(targets, resume, parse_line, settings.ingest_workers, JSON_LINES)
