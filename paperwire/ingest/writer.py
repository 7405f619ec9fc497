"""Write a batch of Records in one transaction: upsert papers, authors and daily-list entries.

Merging rules (they make ingestion idempotent and order-insensitive):
- values are normalised first, the same way for every source: whitespace collapsed, URLs without a
  trailing slash, code links deduplicated (case-insensitively) and sorted;
- each field has an owner: arXiv's own sources for the paper's metadata, Hugging Face's daily lists
  for what only they know (project page, stars, AI summary), the generic formats for everything.
  A source that owns a field replaces a stored value; any other only fills an empty one, so the
  arXiv and Hugging Face records of one paper (``M$^3$Eval`` vs ``M^3Eval``: Hugging Face drops TeX's
  dollars) never overwrite each other, whichever is loaded first;
- code links are the union of every source's;
- empty values never erase what is stored, and a record of an older version than the stored one
  only fills fields that are still empty;
- a paper is updated (and gets a new ``change_seq``, so it is re-indexed) only when the merged
  values differ.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import JSON, Connection, Date, Table, bindparam, delete, func, insert, select, tuple_, update

from paperwire.claims.store import refresh as refresh_claims
from paperwire.db.models import Author, DailyEntry, Paper, PaperAuthor
from paperwire.db.upsert import bulk_insert_sql
from paperwire.papers.record import PAPER_FIELDS, Record

PAPERS: Table = Paper.__table__  # type: ignore[assignment]
AUTHORS: Table = Author.__table__  # type: ignore[assignment]
PAPER_AUTHORS: Table = PaperAuthor.__table__  # type: ignore[assignment]
DAILY: Table = DailyEntry.__table__  # type: ignore[assignment]
JSON_COLUMNS = {c.name for c in PAPERS.columns if isinstance(c.type, JSON)}
DATE_COLUMNS = {c.name for c in PAPERS.columns if isinstance(c.type, Date)}
CHUNK = 900  # bound parameters per IN (...) list, well under SQLite's limit


@dataclass
class BatchCounts:
    papers_new: int = 0
    papers_updated: int = 0
    papers_unchanged: int = 0
    daily_new: int = 0
    daily_updated: int = 0

    def add(self, other: BatchCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


ARXIV_SOURCES = frozenset({"arxiv-snapshot", "arxiv-oai", "arxiv-api", "arxiv-daily"})
HF_SOURCES = frozenset({"hf-daily"})
# Fields only Hugging Face's lists carry; every other field is arXiv's metadata. Sources in neither
# set (jsonl, csv: the user's own data) own every field.
HF_FIELDS = frozenset({"project_page", "github_stars", "ai_summary", "ai_keywords"})
_SPACE = re.compile(r"\s+")


def owns(source: str, field: str) -> bool:
    """Whether ``source`` may replace a stored, non-empty ``field`` (see module docstring)."""
    if source in ARXIV_SOURCES:
        return field not in HF_FIELDS
    if source in HF_SOURCES:
        return field in HF_FIELDS
    return True


def _url(url: str) -> str:
    url = url.strip()
    return url.rstrip("/") if "://" in url and url.rstrip("/").count("/") >= 2 else url


def _code_urls(urls: Iterable[str]) -> list[str]:
    """Deduplicated ignoring case (GitHub's owners and names are case-insensitive), one fixed spelling
    and order whatever the sources' order."""
    spellings: dict[str, str] = {}
    for url in map(_url, urls):
        key = url.casefold()
        spellings[key] = min(spellings.get(key, url), url)
    return [spellings[key] for key in sorted(spellings)]


def normalise(name: str, value: Any) -> Any:
    """One spelling of a field's value for every source."""
    if isinstance(value, str):
        value = _SPACE.sub(" ", value).strip()
        return _url(value) if name == "project_page" else value
    if name == "code_urls" and value:
        return _code_urls(value)
    if name == "authors" and value:
        return [_SPACE.sub(" ", author).strip() for author in value]
    return value


def _is_older(new: Record, old: dict[str, Any]) -> bool:
    if new.version is not None and old["version"] is not None:
        return bool(new.version < old["version"])
    return bool(new.updated and old["updated"] and new.updated < old["updated"])


def merge(old: dict[str, Any], new: Record, source: str) -> dict[str, Any]:
    """The stored values after taking ``new``, read from ``source``, into account (see module docstring)."""
    older = _is_older(new, old)
    merged = {}
    for name in PAPER_FIELDS:
        value, stored = normalise(name, getattr(new, name)), old[name]
        keep = not _empty(stored) and (older or not owns(source, name))
        merged[name] = stored if _empty(value) or keep else value
    if old["published"] and new.published and new.published > old["published"]:
        merged["published"] = old["published"]  # first publication never moves later
    if new.code_urls and old["code_urls"]:
        merged["code_urls"] = _code_urls([*new.code_urls, *old["code_urls"]])
    return merged


def _collapse(records: Iterable[Record], source: str) -> tuple[dict[str, Record], list[Record]]:
    """Fold repeated ids within a batch into one record, keeping every daily listing."""
    by_id: dict[str, Record] = {}
    listings: list[Record] = []
    for rec in records:
        if rec.listing is not None:
            listings.append(rec)
        prev = by_id.get(rec.arxiv_id)
        if prev is None:
            by_id[rec.arxiv_id] = Record(
                arxiv_id=rec.arxiv_id,
                **{name: normalise(name, getattr(rec, name)) for name in PAPER_FIELDS},
            )
            continue
        as_old = {name: getattr(prev, name) for name in PAPER_FIELDS}
        merged = merge(as_old, rec, source)
        by_id[rec.arxiv_id] = Record(arxiv_id=rec.arxiv_id, **merged)
    return by_id, listings


def _bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    ignore_key: str | None = None,
) -> None:
    """executemany straight on the driver: the hot path of an ingest, where SQLAlchemy's per-row
    parameter processing cost as much as SQLite's own work. Values must already be driver types."""
    if not rows:
        return
    conn.exec_driver_sql(bulk_insert_sql(conn, table, columns, ignore_key), rows)  # type: ignore[arg-type]


def _db_value(conn: Connection, column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in JSON_COLUMNS:
        return json.dumps(value)
    if column in DATE_COLUMNS and conn.dialect.name == "sqlite":
        return value.isoformat()
    return value


def _write_authors(conn: Connection, papers: dict[int, list[str]], replace: bool) -> None:
    if not papers:
        return
    names = sorted({name for names in papers.values() for name in names})
    _bulk_insert(conn, AUTHORS, ["name"], [(n,) for n in names], ignore_key="name")
    ids: dict[str, int] = {}
    for chunk in _chunks(names):
        ids.update(conn.execute(select(AUTHORS.c.name, AUTHORS.c.id).where(AUTHORS.c.name.in_(chunk))).all())  # type: ignore[arg-type]
    if replace:
        for chunk in _chunks(list(papers)):
            conn.execute(delete(PAPER_AUTHORS).where(PAPER_AUTHORS.c.paper_id.in_(chunk)))
    rows = [
        (pid, pos, ids[name])
        for pid, names in papers.items()
        for pos, name in enumerate(dict.fromkeys(names))
    ]
    _bulk_insert(conn, PAPER_AUTHORS, ["paper_id", "position", "author_id"], rows)


def write_batch(conn: Connection, records: Sequence[Record], source: str) -> BatchCounts:
    """Store ``records``; the caller owns the transaction (one per batch)."""
    counts = BatchCounts()
    by_id, listings = _collapse(records, source)
    if not by_id:
        return counts
    seq = (conn.execute(select(func.max(PAPERS.c.change_seq))).scalar() or 0) + 1
    cols = [PAPERS.c[name] for name in ("id", "arxiv_id", *PAPER_FIELDS)]
    existing: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(by_id)):
        for row in conn.execute(select(*cols).where(PAPERS.c.arxiv_id.in_(chunk))).mappings():
            existing[row["arxiv_id"]] = dict(row)

    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    moved_authors: dict[int, list[str]] = {}
    for arxiv_id, rec in by_id.items():
        old = existing.get(arxiv_id)
        if old is None:
            new_rows.append(
                {
                    "arxiv_id": arxiv_id,
                    **rec.paper_values(),
                    "abs_url": rec.abs_url,
                    "pdf_url": rec.pdf_url,
                    "source": source,
                    "change_seq": seq,
                }
            )
            continue
        merged = merge(old, rec, source)
        if any(merged[k] != old[k] for k in PAPER_FIELDS):
            changed.append({"b_id": old["id"], **merged, "change_seq": seq})
            if merged["authors"] != old["authors"]:
                moved_authors[old["id"]] = merged["authors"]
        else:
            counts.papers_unchanged += 1

    if new_rows:
        columns = list(new_rows[0])
        _bulk_insert(
            conn, PAPERS, columns, [tuple(_db_value(conn, c, row[c]) for c in columns) for row in new_rows]
        )
        counts.papers_new = len(new_rows)
        new_ids = [r["arxiv_id"] for r in new_rows]
        for chunk in _chunks(new_ids):
            for pid, aid in conn.execute(
                select(PAPERS.c.id, PAPERS.c.arxiv_id).where(PAPERS.c.arxiv_id.in_(chunk))
            ):
                existing[aid] = {"id": pid, "authors": None}
        _write_authors(conn, {existing[r["arxiv_id"]]["id"]: r["authors"] for r in new_rows}, replace=False)
    if changed:
        values: dict[str, Any] = {name: bindparam(name) for name in (*PAPER_FIELDS, "change_seq")}
        conn.execute(update(PAPERS).where(PAPERS.c.id == bindparam("b_id")).values(values), changed)
        counts.papers_updated = len(changed)
        _write_authors(conn, moved_authors, replace=True)

    # claims follow the abstract: extracted for new papers, again for changed abstracts (same transaction)
    refresh_claims(
        conn,
        {existing[r["arxiv_id"]]["id"]: r["abstract"] for r in new_rows}
        | {c["b_id"]: c["abstract"] for c in changed},
    )
    if listings:
        _write_listings(conn, listings, {aid: row["id"] for aid, row in existing.items()}, source, counts)
    return counts


def _write_listings(
    conn: Connection, listings: list[Record], paper_ids: dict[str, int], source: str, counts: BatchCounts
) -> None:
    wanted: dict[tuple[int, Any], dict[str, Any]] = {}
    for rec in listings:
        assert rec.listing is not None
        key = (paper_ids[rec.arxiv_id], rec.listing.day)
        wanted[key] = {
            "paper_id": key[0],
            "day": key[1],
            "upvotes": rec.listing.upvotes,
            "submitter": rec.listing.submitter,
            "num_comments": rec.listing.num_comments,
        }
    have: dict[tuple[int, Any], tuple[int, int, str | None, int]] = {}
    keys = list(wanted)
    for chunk in _chunks(keys, 400):
        rows = conn.execute(
            select(
                DAILY.c.paper_id,
                DAILY.c.day,
                DAILY.c.id,
                DAILY.c.upvotes,
                DAILY.c.submitter,
                DAILY.c.num_comments,
            ).where(tuple_(DAILY.c.paper_id, DAILY.c.day).in_(chunk))
        )
        for paper_id, day, *rest in rows:
            have[(paper_id, day)] = tuple(rest)  # type: ignore[assignment]
    fresh = [{**row, "source": source} for key, row in wanted.items() if key not in have]
    if fresh:
        conn.execute(insert(DAILY), fresh)
        counts.daily_new += len(fresh)
    stale = [
        {
            "b_id": have[key][0],
            "upvotes": row["upvotes"],
            "submitter": row["submitter"],
            "num_comments": row["num_comments"],
        }
        for key, row in wanted.items()
        if key in have and have[key][1:] != (row["upvotes"], row["submitter"], row["num_comments"])
    ]
    if stale:
        conn.execute(
            update(DAILY)
            .where(DAILY.c.id == bindparam("b_id"))
            .values(
                upvotes=bindparam("upvotes"),
                submitter=bindparam("submitter"),
                num_comments=bindparam("num_comments"),
            ),
            stale,
        )
        counts.daily_updated += len(stale)
