"""A user's whole library as one JSON file and back (``digest.export`` adds their digest settings); BibTeX
import.

Papers are referred to by arXiv id, so a file moves between stores; a paper the target store does not
hold is reported, not invented. Importing merges into what the user already has and is idempotent.
Tokens (public tag links, feed links) are secrets of one store and are made anew on import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperwire.clock import utcnow
from paperwire.db.models import Paper
from paperwire.library import bibtex
from paperwire.library.errors import LibraryError
from paperwire.library.feedback import rate
from paperwire.library.models import Feedback, Note, ReadMark, Tag, TagItem
from paperwire.library.notes import mark_read, set_note
from paperwire.library.saved import add_saved_search, follow, follows, saved_searches
from paperwire.library.tags import ensure_tag, save, set_public
from paperwire.papers.ids import InvalidArxivId, parse_arxiv_id

FORMAT = "paperwire-library"
VERSION = 1
ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)$", re.IGNORECASE)
ARXIV_IN_TEXT = re.compile(
    r"arxiv(?:\.org/(?:abs|pdf)/|:\s*|\s+)([0-9]{4}\.[0-9]{4,5}(?:v\d+)?|[a-z-]+/\d{7})", re.IGNORECASE
)
WORD = re.compile(r"\w+")


@dataclass
class ImportReport:
    imported: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # arXiv ids (or titles) the store does not hold
    notes: list[str] = field(default_factory=list)

    def count(self, what: str, n: int = 1) -> None:
        self.imported[what] = self.imported.get(what, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "missing": self.missing, "notes": self.notes}


def _stamp(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _parse_stamp(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            pass
    return utcnow()


def export_library(session: Session, user_id: int) -> dict[str, Any]:
    """Everything the user has, as JSON-ready data."""
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION, "exported_at": _stamp(utcnow())}

    def ids_of(paper_ids: set[int]) -> dict[int, str]:
        if not paper_ids:
            return {}
        rows = session.execute(select(Paper.id, Paper.arxiv_id).where(Paper.id.in_(paper_ids))).all()
        return {int(pid): str(aid) for pid, aid in rows}

    tags = list(session.execute(select(Tag).where(Tag.user_id == user_id).order_by(Tag.name)).scalars())
    items = list(session.execute(select(TagItem).where(TagItem.user_id == user_id)).scalars())
    notes = list(session.execute(select(Note).where(Note.user_id == user_id)).scalars())
    reads = list(session.execute(select(ReadMark).where(ReadMark.user_id == user_id)).scalars())
    fb = list(session.execute(select(Feedback).where(Feedback.user_id == user_id)).scalars())
    aid = ids_of(
        {i.paper_id for i in items}
        | {n.paper_id for n in notes}
        | {r.paper_id for r in reads}
        | {f.paper_id for f in fb}
    )
    by_tag: dict[int, list[TagItem]] = {}
    for item in items:
        by_tag.setdefault(item.tag_id, []).append(item)
    data["tags"] = [
        {
            "name": tag.name,
            "public": tag.public,
            "papers": [
                {"arxiv_id": aid[i.paper_id], "added_at": _stamp(i.added_at)}
                for i in sorted(by_tag.get(tag.id, []), key=lambda i: (i.added_at, i.id))
            ],
        }
        for tag in tags
    ]
    data["notes"] = sorted(
        ({"arxiv_id": aid[n.paper_id], "text": n.text, "updated_at": _stamp(n.updated_at)} for n in notes),
        key=lambda d: d["arxiv_id"],
    )
    data["read"] = sorted(
        ({"arxiv_id": aid[r.paper_id], "read_at": _stamp(r.read_at)} for r in reads),
        key=lambda d: d["arxiv_id"],
    )
    data["ratings"] = sorted(
        ({"arxiv_id": aid[f.paper_id], "rating": f.rating, "created_at": _stamp(f.created_at)} for f in fb),
        key=lambda d: d["arxiv_id"],
    )
    data["saved_searches"] = [
        {"name": s.name, "query": s.query, "mode": s.mode} for s in saved_searches(session, user_id)
    ]
    data["follows"] = [{"kind": f.kind, "value": f.value} for f in follows(session, user_id)]
    return data


def _paper_ids(session: Session, arxiv_ids: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    wanted = list(arxiv_ids)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for pid, aid in session.execute(
            select(Paper.id, Paper.arxiv_id).where(Paper.arxiv_id.in_(chunk))
        ).all():
            found[str(aid)] = int(pid)
    return found


def _of_stored_papers(
    data: dict[str, Any], key: str, pid: dict[str, int], report: ImportReport
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The export's ``key`` entries whose paper the store has, each counted once the caller merged it."""
    for entry in data.get(key, []):
        paper_id = pid.get(str(entry["arxiv_id"]))
        if paper_id is not None:
            yield paper_id, entry
            report.count(key)


def import_library(session: Session, user_id: int, data: Any) -> ImportReport:
    """Merge an exported library into the user's; returns what was imported and what the store lacks."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LibraryError(f'not a paperwire library export (expected "format": "{FORMAT}")')
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise LibraryError(f"unsupported library export version {data.get('version')!r}")
    report = ImportReport()
    try:
        referenced = {str(p["arxiv_id"]) for t in data.get("tags", []) for p in t.get("papers", [])} | {
            str(x["arxiv_id"]) for key in ("notes", "read", "ratings") for x in data.get(key, [])
        }
        pid = _paper_ids(session, referenced)
        report.missing = sorted(referenced - pid.keys())
        for tag in data.get("tags", []):
            row = ensure_tag(session, user_id, str(tag["name"]))
            report.count("tags")
            have = set(session.execute(select(TagItem.paper_id).where(TagItem.tag_id == row.id)).scalars())
            for paper in tag.get("papers", []):
                paper_id = pid.get(str(paper["arxiv_id"]))
                if paper_id is None or paper_id in have:
                    continue
                session.add(
                    TagItem(
                        user_id=user_id,
                        tag_id=row.id,
                        paper_id=paper_id,
                        added_at=_parse_stamp(paper.get("added_at")),
                    )
                )
                have.add(paper_id)
                report.count("saved")
            if tag.get("public"):
                set_public(session, user_id, row.name, True)
        for paper_id, note in _of_stored_papers(data, "notes", pid, report):
            set_note(session, user_id, paper_id, str(note["text"]), _parse_stamp(note.get("updated_at")))
        for paper_id, mark in _of_stored_papers(data, "read", pid, report):
            mark_read(session, user_id, paper_id, True, _parse_stamp(mark.get("read_at")))
        for paper_id, rating in _of_stored_papers(data, "ratings", pid, report):
            rate(session, user_id, paper_id, int(rating["rating"]), _parse_stamp(rating.get("created_at")))
        for search in data.get("saved_searches", []):
            add_saved_search(
                session, user_id, str(search["name"]), str(search["query"]), str(search.get("mode", "hybrid"))
            )
            report.count("saved_searches")
        for row in data.get("follows", []):
            follow(session, user_id, str(row["kind"]), str(row["value"]))
            report.count("follows")
    except (KeyError, TypeError, AttributeError) as exc:
        raise LibraryError(f"malformed library export: {type(exc).__name__}: {exc}") from None
    session.flush()
    return report


def _arxiv_of(entry: bibtex.Entry) -> str | None:
    f = entry.fields
    candidates = []
    if f.get("eprint") and f.get("archiveprefix", "arxiv").lower() == "arxiv":
        candidates.append(f["eprint"])
    if f.get("doi") and (m := ARXIV_DOI.search(f["doi"])):
        candidates.append(m.group(1))
    for key in ("url", "journal", "note", "howpublished", "eprint"):
        if f.get(key) and (m := ARXIV_IN_TEXT.search(f[key])):
            candidates.append(m.group(1))
    for raw in candidates:
        try:
            return parse_arxiv_id(raw)[0]
        except InvalidArxivId:
            continue
    return None


def _title_key(title: str) -> str:
    return " ".join(WORD.findall(title.casefold()))


def match_entry(session: Session, entry: bibtex.Entry) -> Paper | None:
    """The stored paper an entry names: by arXiv id, else DOI, else the same title (case and punctuation aside)."""
    arxiv_id = _arxiv_of(entry)
    if arxiv_id:
        paper = session.execute(select(Paper).where(Paper.arxiv_id == arxiv_id)).scalar_one_or_none()
        if paper is not None:
            return paper
    doi = entry.fields.get("doi", "").strip()
    if doi:
        paper = session.execute(
            select(Paper).where(func.lower(Paper.doi) == doi.lower()).limit(1)
        ).scalar_one_or_none()
        if paper is not None:
            return paper
    key = _title_key(entry.fields.get("title", ""))
    if not key:
        return None
    longest = max(key.split(), key=len)
    for paper in session.execute(
        select(Paper).where(func.lower(Paper.title).contains(longest, autoescape=True)).limit(500)
    ).scalars():
        if _title_key(paper.title) == key:
            return paper
    return None


def import_bibtex(session: Session, user_id: int, text: str, tag: str) -> ImportReport:
    """Save every entry the store can match under ``tag``; unmatched entries are listed by title."""
    report = ImportReport()
    for entry in bibtex.parse(text):
        paper = match_entry(session, entry)
        if paper is None:
            report.missing.append(entry.fields.get("title") or entry.key)
            continue
        save(session, user_id, paper.id, [tag])
        report.count("saved")
    return report
