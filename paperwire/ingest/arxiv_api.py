"""The arXiv API (``/api/query``, Atom): papers by id list or by search query, paged politely.

Targets::

    paperwire ingest arxiv-api id:2401.01234,2401.05678v2,hep-th/9901001
    paperwire ingest arxiv-api 'query:cat:cs.CL AND ti:llm'

``query:`` takes arXiv's search syntax (``ti:``, ``au:``, ``abs:``, ``cat:``, ``AND``/``OR``/``ANDNOT``).
Pages of ``settings.arxiv_api_page_size`` entries are fetched with ``start``/``max_results``, one
request per ``settings.request_interval`` seconds, until a page is empty or ``totalResults`` is
reached, or ``settings.arxiv_api_max_results`` entries (arXiv refuses to page a query past 30,000;
its OAI-PMH interface is the way to harvest more); id lists are sent in chunks of the same size. The API's own error entries (an unknown or
malformed id, a bad query) stop the run with their message. The resume cursor is the offset of the
next entry, so an interrupted run continues from its page.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from paperwire.config import Settings
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.inputs import Cursor, InputError, ReadResult, parse_safely
from paperwire.ingest.xmlroot import xml_root
from paperwire.papers.dates import parse_day
from paperwire.papers.ids import InvalidArxivId, parse_arxiv_id
from paperwire.papers.record import Record, RecordError, build_record

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
API_ERROR = re.compile(r"^https?://arxiv\.org/api/errors")
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
log = logging.getLogger(__name__)


class ArxivApiError(InputError):
    """The API refused the request, or answered with something that is not its Atom feed."""


@dataclass(frozen=True)
class Request:
    """One target: either explicit ids or a search query."""

    ids: tuple[str, ...] = ()
    query: str | None = None


def parse_target(target: str) -> Request:
    kind, _, value = target.partition(":")
    value = value.strip()
    if kind == "id" and value:
        ids = tuple(i for i in re.split(r"[\s,]+", value) if i)
        for arxiv_id in ids:
            try:
                parse_arxiv_id(arxiv_id)
            except InvalidArxivId as exc:
                raise ArxivApiError(f"{target}: {exc}") from None
        return Request(ids=ids)
    if kind == "query" and value:
        return Request(query=value)
    raise ArxivApiError(
        f"{target!r}: expected id:ID[,ID...] or query:SEARCH (e.g. 'query:cat:cs.CL AND ti:llm')"
    )


def _text(element: Any, path: str) -> str | None:
    found = element.findtext(path)
    return " ".join(found.split()) or None if isinstance(found, str) else None


def parse_entry(entry: Any, where: str) -> Record:
    """One Atom ``<entry>``: the primary category first, then the others in the feed's order."""
    raw_id = _text(entry, f"{ATOM}id")
    primary = entry.find(f"{ARXIV}primary_category")
    categories = [primary.get("term")] if primary is not None and primary.get("term") else []
    categories += [c.get("term") for c in entry.iterfind(f"{ATOM}category") if c.get("term")]
    try:
        published = parse_day(_text(entry, f"{ATOM}published"))
        updated = parse_day(_text(entry, f"{ATOM}updated"))
    except ValueError as exc:
        raise RecordError(where, str(exc), field="published", record_id=raw_id) from None
    return build_record(
        where,
        arxiv_id=raw_id,
        title=entry.findtext(f"{ATOM}title"),
        abstract=entry.findtext(f"{ATOM}summary"),
        authors=[n for n in (_text(a, f"{ATOM}name") for a in entry.iterfind(f"{ATOM}author")) if n],
        categories=list(dict.fromkeys(categories)),
        published=published,
        updated=updated,
        doi=_text(entry, f"{ARXIV}doi"),
        journal_ref=_text(entry, f"{ARXIV}journal_ref"),
        comments=entry.findtext(f"{ARXIV}comment"),
    )


@dataclass
class Feed:
    entries: list[Record | RecordError]
    total: int | None


def parse_feed(body: bytes, where: str, offset: int) -> Feed:
    """A page of results; entries are numbered from ``offset`` in error locations."""
    root = xml_root(body, PARSER, f"{ATOM}feed", where, "an Atom feed", ArxivApiError)
    total_text = _text(root, f"{OPENSEARCH}totalResults")
    entries: list[Record | RecordError] = []
    for number, entry in enumerate(root.iterfind(f"{ATOM}entry"), start=offset + 1):
        if API_ERROR.match(_text(entry, f"{ATOM}id") or ""):
            raise ArxivApiError(f"{where}: arXiv API error: {_text(entry, f'{ATOM}summary')}")
        here = f"{where} entry {number}"
        entries.append(parse_safely(functools.partial(parse_entry, entry, here), here))
    return Feed(
        entries, int(total_text) if total_text and total_text.isascii() and total_text.isdigit() else None
    )


def _pages(client: PoliteClient, request: Request, settings: Settings, start: int) -> Iterator[ReadResult]:
    url, size = settings.arxiv_api_url, settings.arxiv_api_page_size
    while True:
        if request.ids:
            chunk = request.ids[start : start + size]
            if not chunk:
                return
            params = {"id_list": ",".join(chunk), "start": "0", "max_results": str(len(chunk))}
        else:
            if start >= settings.arxiv_api_max_results:
                return
            count = min(size, settings.arxiv_api_max_results - start)
            params = {"search_query": str(request.query), "start": str(start), "max_results": str(count)}
        where = f"{url} start {start}"
        response = client.get(url, params, allow=(400,))
        feed = parse_feed(response.content, where, start)
        if not response.is_success:
            raise ArxivApiError(f"{where}: HTTP {response.status_code}")
        for offset, item in enumerate(feed.entries, start=start + 1):
            yield item, {"start": offset}
        start += len(chunk) if request.ids else len(feed.entries)
        if not request.ids and (not feed.entries or (feed.total is not None and start >= feed.total)):
            return
        if not request.ids and start >= settings.arxiv_api_max_results:
            log.warning(
                "%s: stopped after %d of %s results (PAPERWIRE_ARXIV_API_MAX_RESULTS); for more, narrow the"
                " query or harvest with arxiv-oai",
                request.query,
                start,
                feed.total if feed.total is not None else "more",
            )
            return


def read(targets: list[str], settings: Settings, resume: Cursor | None) -> Iterator[ReadResult]:
    requests = [parse_target(t) for t in targets]
    first = int(resume.get("target") or 0) if resume else 0
    with PoliteClient.from_settings(settings) as client:
        for index, request in enumerate(requests[first:], start=first):
            start = int(resume.get("start") or 0) if resume and index == first else 0
            for item, cursor in _pages(client, request, settings, start):
                yield item, {"target": index, **cursor}
