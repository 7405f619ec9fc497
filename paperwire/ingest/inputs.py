"""Open what the user named: files (optionally gzipped) and directories of them, in a stable order."""

from __future__ import annotations

import codecs
import functools
import gzip
import json
import logging
import multiprocessing
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

from paperwire.papers.record import Record, RecordError
from paperwire.processes import exit_with_parent

Cursor = dict[str, Any]
# What a source reader yields: a record (or why it could not be read) and the cursor that resumes after it.
ReadResult = tuple[Record | RecordError, Cursor]
LineParser = Callable[[str, str], Record]
CHUNK_LINES = 1000  # lines handed to a parser process at a time
AHEAD = 4  # chunks in flight per worker: bounds memory whatever the input size
MAX_LINE_BYTES = 2 * 1024 * 1024  # one record of a line-based format; longer lines are refused unread
JSON_LINES = (".jsonl", ".ndjson", ".json")  # the names a directory's JSON Lines files may have
log = logging.getLogger(__name__)


class InputError(Exception):
    """The input as a whole cannot be read (missing file, not a directory, unreadable)."""


def expand(targets: list[str], suffixes: tuple[str, ...] = ()) -> list[Path]:
    """Named files as they are; from a directory only the files whose names end in one of ``suffixes``
    (``.gz`` too), in name order: the others are reported and left alone."""
    files: list[Path] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            for child in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
                if not suffixes or child.name.lower().removesuffix(".gz").endswith(suffixes):
                    files.append(child)
                else:
                    log.warning("%s: not read (only %s files are)", child, ", ".join(suffixes))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{target}: no such file or directory")
    return files


def open_binary(path: Path) -> IO[bytes]:
    try:
        return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # type: ignore[return-value]
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None


def decoded_lines(path: Path, first_line: int = 1) -> Iterator[tuple[int, str | RecordError]]:
    """Each line of a file with its number, decoded on its own: a line that is not UTF-8 or is longer
    than MAX_LINE_BYTES becomes a RecordError naming it, and the lines after it are still read. A
    UTF-8 byte-order mark is dropped. Numbers start at ``first_line``; earlier lines are skipped."""
    with open_binary(path) as handle:
        number = 0
        while True:
            try:
                raw = handle.readline(MAX_LINE_BYTES + 1)
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                        pass
                    number += 1
                    if number >= first_line:
                        yield (
                            number,
                            RecordError(f"{path}:{number}", f"line longer than {MAX_LINE_BYTES} bytes"),
                        )
                    continue
            except (OSError, EOFError, zlib.error) as exc:
                yield number + 1, RecordError(f"{path}:{number + 1}", f"unreadable from here on: {exc}")
                return
            if not raw:
                return
            number += 1
            if number < first_line:
                continue
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                reason = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
                yield number, RecordError(f"{path}:{number}", reason)


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
        for line_no, line in decoded_lines(path, first_line=skip + 1 if i == 0 else 1):
            cursor = {"file": str(path), "line": line_no}
            if isinstance(line, RecordError):
                yield line, cursor
            elif line.strip():
                yield line, f"{path}:{line_no}", cursor


def json_object(line: str, where: str) -> dict[str, Any]:
    """One line of JSON Lines as an object; RecordError for anything else (bad JSON, a number with
    thousands of digits, nesting too deep for the parser, an array)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RecordError(where, f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise RecordError(where, f"invalid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise RecordError(where, "expected a JSON object")
    return obj


def parse_safely(parse: Callable[[], Record], where: str) -> Record | RecordError:
    """One record parsed in isolation: whatever goes wrong with it is that record's error, never the run's."""
    try:
        return parse()
    except RecordError as exc:
        return exc
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError,
            RecursionError, MemoryError) as exc:  # fmt: skip
        return RecordError(where, f"cannot read this record ({type(exc).__name__}: {exc})")


def parse_chunk(parse: LineParser, lines: list[tuple[str, str]]) -> list[Record | RecordError]:
    return [parse_safely(functools.partial(parse, line, where), where) for line, where in lines]


def _chunks(raw: Iterator[tuple[str, str, Cursor] | tuple[RecordError, Cursor]]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for entry in raw:
        chunk.append(entry)
        if len(chunk) >= CHUNK_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_order(chunk: list[Any], parsed: list[Record | RecordError]) -> Iterator[ReadResult]:
    results = iter(parsed)
    for entry in chunk:
        if len(entry) == 2:
            yield entry[0], entry[1]
        else:
            yield next(results), entry[2]


def _parse_here(parse: LineParser, chunk: list[Any]) -> list[Record | RecordError]:
    return parse_chunk(parse, [(e[0], e[1]) for e in chunk if len(e) == 3])


def read_lines(
    targets: list[str],
    resume: Cursor | None,
    parse: LineParser,
    workers: int = 0,
    suffixes: tuple[str, ...] = (),
) -> Iterator[ReadResult]:
    """Yield one parsed record per non-blank line; a line that fails becomes a RecordError naming file:line.

    With ``workers`` > 0, parsing runs in that many processes while the caller writes to the store: on
    two cores this overlaps the two halves of an ingest. Order, and so resume cursors, are kept.
    """
    files, skip = skip_to(expand(targets, suffixes), resume)
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
