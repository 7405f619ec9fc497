"""arXiv OAI-PMH: incremental harvests of the ``arXivRaw`` and ``arXiv`` metadata formats.

A target is the endpoint URL, or ``-`` / ``default`` for ``settings.oai_url``, with the harvest's
options as query parameters::

    paperwire ingest arxiv-oai default
    paperwire ingest arxiv-oai 'default?set=cs&metadataPrefix=arXiv'
    paperwire ingest arxiv-oai 'https://oaipmh.arxiv.org/oai?set=physics:hep-th&from=2024-01-01&until=2024-01-31'
    paperwire ingest arxiv-oai 'default?identifier=oai:arXiv.org:1302.2146'   (one record, GetRecord)

``metadataPrefix`` is ``arXivRaw`` (the default: every version's date) or ``arXiv``. Without ``from``
a harvest starts at the last datestamp harvested for the same endpoint, format and set (kept in
the ``harvest_state`` table; the first harvest takes everything), re-harvesting that day since it
can gain records after we saw it. The datestamp only advances for completed harvests: the newest one
seen travels in the run's cursor, which the runner commits with the records, and is moved into
``harvest_state`` when a later harvest starts, from runs the runner marked completed. A run killed at
any instant therefore never skips records it did not store.

ListRecords pages are followed through resumption tokens, one request per
``settings.request_interval`` seconds, waiting out ``503`` + ``Retry-After``. The resume cursor holds
the token of the page being read, so a killed harvest continues with that page; if the server no
longer accepts the token, the harvest restarts from its ``from`` date (writes are idempotent).

OAI-PMH errors follow the protocol: ``noRecordsMatch`` ends a harvest cleanly with no records;
every other code (``badArgument``, ``badResumptionToken``, ``badVerb``, ``idDoesNotExist``,
``cannotDisseminateFormat``, ``noSetHierarchy``) stops with a one-line error. Records the archive
marks deleted (``<header status="deleted">``) are reported as skipped.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree
from sqlalchemy import Connection, Engine, Table, insert, select, update

from paperwire.clock import utcnow
from paperwire.config import Settings
from paperwire.db.models import HarvestState, IngestRun
from paperwire.db.session import make_engine
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.inputs import Cursor, InputError, ReadResult, parse_safely
from paperwire.ingest.xmlroot import xml_root
from paperwire.papers.dates import parse_day
from paperwire.papers.record import Record, RecordError, build_record
from paperwire.papers.text import split_authors

OAI = "{http://www.openarchives.org/OAI/2.0/}"
FORMATS = {"arXivRaw": "{http://arxiv.org/OAI/arXivRaw/}", "arXiv": "{http://arxiv.org/OAI/arXiv/}"}
OPTIONS = ("metadataPrefix", "set", "from", "until", "identifier")
DATESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?")
STATE: Table = HarvestState.__table__  # type: ignore[assignment]
RUNS: Table = IngestRun.__table__  # type: ignore[assignment]
SOURCE = "arxiv-oai"  # the name sources.py registers this reader under, as its runs record it
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)


class OaiError(InputError):
    """The harvest cannot go on: a bad target, an OAI-PMH error code, or a response that is not OAI-PMH."""


class OaiProtocolError(OaiError):
    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(f"OAI-PMH error {code}: {message}" if message else f"OAI-PMH error {code}")


@dataclass(frozen=True)
class Harvest:
    """One target: where to harvest, in which format and set, over which datestamps."""

    endpoint: str
    prefix: str = "arXivRaw"
    set: str | None = None
    since: str | None = None
    until: str | None = None
    identifier: str | None = None

    @property
    def key(self) -> str:
        """The ``harvest_state`` key: endpoint, format and set."""
        return f"{self.endpoint} {self.prefix} {self.set or ''}".rstrip()

    def first_params(self, since: str | None) -> dict[str, str]:
        if self.identifier:
            return {"verb": "GetRecord", "identifier": self.identifier, "metadataPrefix": self.prefix}
        options = {"metadataPrefix": self.prefix, "set": self.set, "from": since, "until": self.until}
        return {"verb": "ListRecords", **{k: v for k, v in options.items() if v}}


def parse_target(target: str, settings: Settings) -> Harvest:
    """``URL?options`` (or ``-``/``default`` for settings.oai_url) -> Harvest; OaiError names what is wrong."""
    parts = urllib.parse.urlsplit(target)
    base = parts._replace(query="", fragment="").geturl()
    if base in ("-", "default"):
        base = settings.oai_url
    elif parts.scheme not in ("http", "https") or not parts.netloc:
        raise OaiError(f"{target}: expected an http(s) OAI-PMH endpoint URL, or 'default'")
    options = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise OaiError(f"{target}: unknown option {unknown[0]!r}; use {', '.join(OPTIONS)}")
    prefix = options.get("metadataPrefix") or "arXivRaw"
    if prefix not in FORMATS:
        raise OaiError(f"{target}: metadataPrefix must be one of {', '.join(FORMATS)}, not {prefix!r}")
    for name in ("from", "until"):
        if options.get(name) and not DATESTAMP.fullmatch(options[name]):
            raise OaiError(f"{target}: {name} must be YYYY-MM-DD, not {options[name]!r}")
    return Harvest(
        endpoint=base,
        prefix=prefix,
        set=options.get("set") or None,
        since=options.get("from") or None,
        until=options.get("until") or None,
        identifier=options.get("identifier") or None,
    )


@dataclass
class Page:
    items: list[tuple[Record | RecordError, str | None]]  # each with its header datestamp
    token: str | None


def _text(element: Any, path: str) -> str | None:
    found = element.findtext(path)
    return found.strip() or None if isinstance(found, str) else None


def _shared_fields(meta: Any, ns: str) -> dict[str, Any]:
    """The fields arXivRaw and arXiv write alike."""
    return {
        "title": _text(meta, f"{ns}title"),
        "abstract": _text(meta, f"{ns}abstract"),
        "categories": (_text(meta, f"{ns}categories") or "").split(),
        "doi": _text(meta, f"{ns}doi"),
        "journal_ref": _text(meta, f"{ns}journal-ref"),
        "comments": _text(meta, f"{ns}comments"),
        "license": _text(meta, f"{ns}license"),
    }


def _raw_record(meta: Any, ns: str, where: str) -> Record:
    """arXivRaw: every version with its date, and the authors as one string."""
    record_id = _text(meta, f"{ns}id")
    versions = meta.findall(f"{ns}version")
    try:
        published = parse_day(_text(versions[0], f"{ns}date")) if versions else None
        updated = parse_day(_text(versions[-1], f"{ns}date")) if versions else None
        version = int(versions[-1].get("version", "").lstrip("v")) if versions else None
    except ValueError as exc:
        raise RecordError(where, f"bad version: {exc}", field="version", record_id=record_id) from None
    authors = _text(meta, f"{ns}authors")
    return build_record(
        where,
        arxiv_id=record_id,
        authors=split_authors(authors) if authors else [],
        version=version,
        published=published,
        updated=updated,
        **_shared_fields(meta, ns),
    )


def _arxiv_record(meta: Any, ns: str, where: str) -> Record:
    """arXiv: authors as keyname/forenames/suffix, and only the first and latest version dates."""
    record_id = _text(meta, f"{ns}id")
    authors = [
        " ".join(
            part
            for part in (_text(a, f"{ns}forenames"), _text(a, f"{ns}keyname"), _text(a, f"{ns}suffix"))
            if part
        )
        for a in meta.iterfind(f"{ns}authors/{ns}author")
    ]
    try:
        published = parse_day(_text(meta, f"{ns}created"))
        updated = parse_day(_text(meta, f"{ns}updated")) or published
    except ValueError as exc:
        raise RecordError(where, str(exc), field="created", record_id=record_id) from None
    return build_record(
        where,
        arxiv_id=record_id,
        authors=[a for a in authors if a],
        published=published,
        updated=updated,
        **_shared_fields(meta, ns),
    )


def parse_page(body: bytes, where: str, prefix: str) -> Page:
    """One OAI-PMH response: its records (or errors) with their datestamps, and the resumption token."""
    root = xml_root(body, PARSER, f"{OAI}OAI-PMH", where, "an OAI-PMH response", OaiError)
    error = root.find(f"{OAI}error")
    if error is not None:
        raise OaiProtocolError(error.get("code", "unknown"), " ".join((error.text or "").split()))
    ns = FORMATS[prefix]
    parse = _raw_record if prefix == "arXivRaw" else _arxiv_record
    items: list[tuple[Record | RecordError, str | None]] = []
    for index, element in enumerate(root.iterfind(f"{OAI}*/{OAI}record"), start=1):
        header = element.find(f"{OAI}header")
        identifier = _text(header, f"{OAI}identifier") if header is not None else None
        datestamp = _text(header, f"{OAI}datestamp") if header is not None else None
        here = f"{where} record {index}"
        item: Record | RecordError
        if header is not None and header.get("status") == "deleted":
            item = RecordError(here, "deleted from arXiv (OAI status 'deleted')", record_id=identifier)
        else:
            meta = element.find(f"{OAI}metadata/{ns}{prefix}")
            if meta is None:
                item = RecordError(here, f"no {prefix} metadata", field="metadata", record_id=identifier)
            else:
                item = parse_safely(functools.partial(parse, meta, ns, here), here)
        items.append((item, datestamp))
    token = root.findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
    return Page(items, token.strip() or None if token else None)


def stored_datestamp(engine: Engine, key: str) -> str | None:
    with engine.connect() as conn:
        value = conn.execute(select(STATE.c.last_datestamp).where(STATE.c.key == key)).scalar_one_or_none()
    return str(value) if value else None


def _advance(conn: Connection, key: str, datestamp: str) -> None:
    """Advance (never rewind) the harvested datestamp of ``key``."""
    now = utcnow()
    row = conn.execute(select(STATE.c.last_datestamp).where(STATE.c.key == key)).first()
    if row is None:
        conn.execute(insert(STATE).values(key=key, last_datestamp=datestamp, updated_at=now))
    elif not row.last_datestamp or datestamp > row.last_datestamp:
        conn.execute(update(STATE).where(STATE.c.key == key).values(last_datestamp=datestamp, updated_at=now))


def promote_completed(engine: Engine) -> None:
    """Move the datestamps that completed runs carry in their cursors into ``harvest_state`` (stores
    written by earlier versions call a completed run ``done``)."""
    with engine.begin() as conn:
        cursors = conn.execute(
            select(RUNS.c.cursor).where(RUNS.c.source == SOURCE, RUNS.c.status.in_(("completed", "done")))
        )
        newest: dict[str, str] = {}
        for (cursor,) in cursors:
            if not isinstance(cursor, dict):
                continue
            done = dict(cursor.get("harvested") or {})
            if cursor.get("key") and cursor.get("newest"):
                done[cursor["key"]] = max(str(cursor["newest"]), done.get(cursor["key"], ""))
            for key, stamp in done.items():
                newest[key] = max(str(stamp), newest.get(key, ""))
        for key, stamp in newest.items():
            _advance(conn, key, stamp)


def _harvest(
    client: PoliteClient,
    engine: Engine,
    harvest: Harvest,
    target: int,
    resume: Cursor | None,
    harvested: dict[str, str],
) -> Iterator[ReadResult]:
    """One target's records; ``harvested`` (this run's completed harvests) gains it when it completes."""
    resuming = bool(resume and resume.get("key") == harvest.key)
    if resume and resuming:
        since, token = resume.get("from"), resume.get("token")
        skip, page_no, newest = (
            int(resume.get("item") or 0),
            int(resume.get("page") or 1),
            resume.get("newest"),
        )
    else:
        since, token, skip, page_no, newest = None, None, 0, 1, None
        if not harvest.identifier:
            since = harvest.since or stored_datestamp(engine, harvest.key)
    while True:
        params = {"verb": "ListRecords", "resumptionToken": token} if token else harvest.first_params(since)
        where = f"{harvest.endpoint} page {page_no}"
        response = client.get(harvest.endpoint, params, allow=(400, 404, 422))
        try:
            page = parse_page(response.content, where, harvest.prefix)
        except OaiProtocolError as exc:
            if exc.code == "noRecordsMatch":
                break
            if exc.code == "badResumptionToken" and resuming and token:
                # The saved token expired while the run was stopped: start this harvest over.
                token, skip, page_no, resuming = None, 0, 1, False
                continue
            raise OaiError(f"{where}: {exc}") from None
        except OaiError:
            if not response.is_success:
                raise OaiError(f"{where}: HTTP {response.status_code} without an OAI-PMH error") from None
            raise
        if token and page.token == token:
            raise OaiError(f"{where}: the server repeated resumption token {token!r}; stopping")
        resuming = False
        for index, (item, datestamp) in enumerate(page.items, start=1):
            if datestamp and not harvest.identifier and (newest is None or datestamp > newest):
                newest = datestamp
            if index > skip:
                cursor = {
                    "target": target,
                    "key": harvest.key,
                    "from": since,
                    "token": token,
                    "page": page_no,
                }
                yield item, {**cursor, "item": index, "newest": newest, "harvested": dict(harvested)}
        skip = 0
        if not page.token or harvest.identifier:
            break
        token, page_no = page.token, page_no + 1
    if newest:
        harvested[harvest.key] = max(newest, harvested.get(harvest.key, ""))


def read(targets: list[str], settings: Settings, resume: Cursor | None) -> Iterator[ReadResult]:
    """Harvest each target in turn; the harvest state lives in the store named by ``settings``."""
    harvests = [parse_target(t, settings) for t in targets]
    first = int(resume.get("target") or 0) if resume else 0
    harvested: dict[str, str] = dict(resume.get("harvested") or {}) if resume else {}
    engine = make_engine(settings.db_url)
    try:
        promote_completed(engine)
        with PoliteClient.from_settings(settings) as client:
            for index, harvest in enumerate(harvests[first:], start=first):
                current = resume if index == first else None
                yield from _harvest(client, engine, harvest, index, current, harvested)
    finally:
        engine.dispose()
