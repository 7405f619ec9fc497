"""Open what the user named: files (optionally gzipped) and directories of them, in a stable order."""

from __future__ import annotations

import gzip
import io
import json
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

from paperwire.papers.record import Record, RecordError
from paperwire.processes import exit_with_parent

Cursor = dict[str, Any]
Item = tuple[Record | RecordError, Cursor]
LineParser = Callable[[str, str], Record]
CHUNK_LINES = 1000  # lines handed to a parser process at a time
AHEAD = 4  # chunks in flight per worker: bounds memory whatever the input size


class InputError(Exception):
    """The input as a whole cannot be read (missing file, not a directory, unreadable)."""


def json_object(line: str, where: str) -> dict[str, Any]:
    """One JSON Lines record, which must be an object; anything else is a ``RecordError`` at ``where``."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RecordError(where, f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise RecordError(where, "expected a JSON object")
    return obj


def expand(targets: list[str]) -> list[Path]:
    files: list[Path] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{target}: no such file or directory")
    return files


def open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="strict")
    return path.open(encoding="utf-8")


def skip_to(files: list[Path], resume: Cursor | None) -> tuple[list[Path], int]:
    """Files still to read after a resume cursor, and how many leading units of the first to skip."""
    if not resume or "file" not in resume:
        return files, 0
    names = [str(f) for f in files]
    if resume["file"] not in names:
        return files, 0
    index = names.index(resume["file"])
    return files[index:], int(resume.get("line") or resume.get("item") or 0)


def _raw_lines(
    files: list[Path], skip: int
) -> Iterator[tuple[str, str, Cursor] | tuple[RecordError, Cursor]]:
    for i, path in enumerate(files):
        first = skip if i == 0 else 0
        with open_text(path) as handle:
            try:
                for line_no, line in enumerate(handle, start=1):
                    if line_no > first and line.strip():
                        yield line, f"{path}:{line_no}", {"file": str(path), "line": line_no}
            except (UnicodeDecodeError, OSError, EOFError) as exc:
                yield RecordError(str(path), f"unreadable: {exc}"), {"file": str(path), "line": 0}


def parse_chunk(parse: LineParser, lines: list[tuple[str, str]]) -> list[Record | RecordError]:
    out: list[Record | RecordError] = []
    for line, where in lines:
        try:
            out.append(parse(line, where))
        except RecordError as exc:
            out.append(exc)
    return out


def _chunks(raw: Iterator[tuple[str, str, Cursor] | tuple[RecordError, Cursor]]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for entry in raw:
        chunk.append(entry)
        if len(chunk) >= CHUNK_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_order(chunk: list[Any], parsed: list[Record | RecordError]) -> Iterator[Item]:
    results = iter(parsed)
    for entry in chunk:
        if len(entry) == 2:
            yield entry[0], entry[1]
        else:
            yield next(results), entry[2]


def _parse_here(parse: LineParser, chunk: list[Any]) -> list[Record | RecordError]:
    return parse_chunk(parse, [(e[0], e[1]) for e in chunk if len(e) == 3])


def read_lines(
    targets: list[str], resume: Cursor | None, parse: LineParser, workers: int = 0
) -> Iterator[Item]:
    """Yield one parsed item per non-blank line; a line that fails becomes a RecordError naming file:line.

    With ``workers`` > 0, parsing runs in that many processes while the caller writes to the store: on
    two cores this overlaps the two halves of an ingest. Order, and so resume cursors, are kept.
    """
    files, skip = skip_to(expand(targets), resume)
    chunks = _chunks(_raw_lines(files, skip))
    if workers <= 0:
        for chunk in chunks:
            yield from _in_order(chunk, _parse_here(parse, chunk))
        return
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn, initializer=exit_with_parent) as pool:
        pending: deque[tuple[list[Any], Future[list[Record | RecordError]]]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_parse_here, parse, chunk)))
            if len(pending) > AHEAD * workers:
                done, future = pending.popleft()
                yield from _in_order(done, future.result())
        while pending:
            done, future = pending.popleft()
            yield from _in_order(done, future.result())
