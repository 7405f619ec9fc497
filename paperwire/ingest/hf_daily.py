"""Hugging Face Daily Papers: ``/api/daily_papers?date=YYYY-MM-DD`` responses, saved or fetched.

Quirks of the real responses, all handled here:
- some days hold a JSON array of *strings*, each the Python ``repr()`` of an item;
- one day is wrapped as ``{status, date, count, data}``;
- ``upvotes`` sits on ``paper``, ``numComments`` on the outer item;
- fields appear over time (``ai_summary``, ``ai_keywords``, ``githubRepo``, ``githubStars``).
The list day is the ``date`` the response was for (the file name, the URL's ``date`` or the
wrapper), else the paper's ``submittedOnDailyAt``.

Targets are saved files (``.gz`` too), directories of them, or fetched days::

    paperwire ingest hf-daily 'https://huggingface.co/api/daily_papers?date=2024-05-27'
    paperwire ingest hf-daily 'https://huggingface.co/api/daily_papers?date=2024-05-27..2024-06-02'
    paperwire ingest hf-daily date:2024-05-27..2024-06-02     (settings.hf_api_url + /api/daily_papers)

A ``FROM..TO`` range (inclusive) is one request per day, one per ``settings.request_interval``
seconds; the resume cursor names the URL or file and the item within it.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import functools
import json
import urllib.parse
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from paperwire.config import Settings
from paperwire.ingest.arxiv_daily import listing_day
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.inputs import Cursor, InputError, ReadResult, expand, open_binary, parse_safely
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
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
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
        here = f"{where}: item {index}"
        yield parse_safely(functools.partial(parse_item, raw, here, day), here), index + 1


MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # one day's response; real ones are under 1 MB
MAX_DAYS = 3660  # one request per day: a range longer than ten years is a typo


def _days(spec: str, target: str) -> list[dt.date]:
    """``YYYY-MM-DD`` or ``FROM..TO`` (inclusive) as the list of days it names."""
    first, _, last = spec.partition("..")
    try:
        start = dt.date.fromisoformat(first.strip())
        end = dt.date.fromisoformat(last.strip()) if last else start
    except ValueError:
        raise InputError(f"{target}: expected a date YYYY-MM-DD or a range FROM..TO, not {spec!r}") from None
    if end < start or (end - start).days >= MAX_DAYS:
        raise InputError(f"{target}: the range must run forward and span at most {MAX_DAYS} days")
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def _day_urls(target: str, settings: Settings) -> list[tuple[str, dt.date | None]]:
    """The URL to fetch for each day a URL or ``date:`` target names."""
    if target.startswith("date:"):
        url = settings.hf_api_url.rstrip("/") + "/api/daily_papers"
        return [(f"{url}?date={day}", day) for day in _days(target.removeprefix("date:"), target)]
    parts = urllib.parse.urlsplit(target)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    spec = dict(query).get("date")
    if not spec:
        return [(target, None)]
    rest = [(k, v) for k, v in query if k != "date"]
    return [
        (parts._replace(query=urllib.parse.urlencode([*rest, ("date", str(day))])).geturl(), day)
        for day in _days(spec, target)
    ]


def _units(targets: list[str], settings: Settings) -> list[tuple[str, Path | None, dt.date | None]]:
    """Every file and URL to read, in order, each as (name, path or None for a URL, list day)."""
    units: list[tuple[str, Path | None, dt.date | None]] = []
    for target in targets:
        if target.startswith(("http://", "https://", "date:")):
            units.extend((url, None, day) for url, day in _day_urls(target, settings))
        else:
            units.extend((str(path), path, listing_day(str(path))) for path in expand([target], (".json",)))
    return units


def _load(name: str, path: Path | None, client: PoliteClient) -> Any:
    """The parsed JSON of a file or URL (a UTF-8 byte-order mark allowed); ValueError if it is not JSON."""
    if path is None:
        body = client.get(name).content
    else:
        with open_binary(path) as handle:
            body = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"larger than {MAX_DOCUMENT_BYTES} bytes")
    return json.loads(body.decode("utf-8-sig"))


def read(targets: list[str], settings: Settings, resume: Cursor | None) -> Iterator[ReadResult]:
    units = _units(targets, settings)
    names = [name for name, _, _ in units]
    first, skip = 0, 0
    if resume and resume.get("file") in names:
        first, skip = names.index(resume["file"]), int(resume.get("item") or 0)
    with PoliteClient.from_settings(settings) as client:
        for i, (name, path, day) in enumerate(units[first:]):
            try:
                data = _load(name, path, client)
            except (ValueError, RecursionError) as exc:
                yield RecordError(name, f"invalid JSON: {exc}"), {"file": name, "item": 0}
                continue
            except (OSError, EOFError, zlib.error) as exc:
                yield RecordError(name, f"unreadable: {exc}"), {"file": name, "item": 0}
                continue
            for item, index in parse_document(data, name, day, skip if i == 0 else 0):
                yield item, {"file": name, "item": index}
