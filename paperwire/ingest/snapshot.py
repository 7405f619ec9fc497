"""The arXiv metadata snapshot (Kaggle's ``arxiv-metadata-oai-snapshot.json``): JSON Lines, streamed.

One JSON object per line with ``versions[]`` (RFC 2822 dates) and ``authors_parsed`` (last, first,
suffix); the file is read line by line so the full multi-GB dump ingests in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from paperwire.config import Settings
from paperwire.ingest.inputs import JSON_LINES, Cursor, ReadResult, json_object, read_lines
from paperwire.papers.dates import parse_day
from paperwire.papers.record import Record, RecordError, build_record
from paperwire.papers.text import split_authors


def _authors(obj: dict[str, Any]) -> list[str]:
    parsed = obj.get("authors_parsed")
    if (
        isinstance(parsed, list)
        and parsed
        and all(isinstance(p, list) and all(isinstance(part, str) for part in p) for p in parsed)
    ):
        return [
            " ".join(part for part in (p[1] if len(p) > 1 else "", p[0], *p[2:]) if part).strip()
            for p in parsed
        ]
    raw = obj.get("authors")
    return split_authors(raw) if isinstance(raw, str) else raw  # type: ignore[return-value]


def parse_line(line: str, where: str) -> Record:
    obj = json_object(line, where)
    versions = obj.get("versions") or []
    record_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    try:
        published = parse_day(versions[0]["created"]) if versions else None
        updated = parse_day(versions[-1]["created"]) if versions else parse_day(obj.get("update_date"))
        version = int(str(versions[-1]["version"]).lstrip("v")) if versions else None
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordError(where, f"bad versions: {exc}", field="versions", record_id=record_id) from None
    categories = obj.get("categories") or ""
    return build_record(
        where,
        arxiv_id=obj.get("id"),
        title=obj.get("title"),
        abstract=obj.get("abstract"),
        authors=_authors(obj),
        version=version,
        categories=categories.split() if isinstance(categories, str) else categories,
        published=published,
        updated=updated,
        doi=obj.get("doi"),
        journal_ref=obj.get("journal-ref"),
        comments=obj.get("comments"),
        license=obj.get("license"),
    )


def read(targets: list[str], settings: Settings, resume: Cursor | None) -> Iterator[ReadResult]:
    return read_lines(targets, resume, parse_line, settings.ingest_workers, JSON_LINES)
