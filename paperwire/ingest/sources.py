"""The registry of sources the CLI's ``ingest SOURCE`` accepts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from paperwire.config import Settings
from paperwire.ingest import arxiv_api, arxiv_daily, generic, hf_daily, oai, snapshot
from paperwire.ingest.inputs import Cursor, ReadResult

SourceReader = Callable[[list[str], Settings, Cursor | None], Iterator[ReadResult]]

SOURCES: dict[str, SourceReader] = {
    "arxiv-snapshot": snapshot.read,
    "arxiv-oai": oai.read,
    "arxiv-api": arxiv_api.read,
    "arxiv-daily": arxiv_daily.read,
    "hf-daily": hf_daily.read,
    "jsonl": generic.read_jsonl,
    "csv": generic.read_csv,
}
