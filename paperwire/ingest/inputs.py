"""Open what the user named: files (optionally gzipped) and directories of them, in a stable order."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from paperwire.papers.record import Record, RecordError

Cursor = dict[str, Any]
Item = tuple[Record | RecordError, Cursor]


class InputError(Exception):
    """The input as a whole cannot be read (missing file, not a directory, unreadable)."""


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


def read_lines(
    targets: list[str], resume: Cursor | None, parse: Callable[[str, str], Record]
) -> Iterator[Item]:
    """Yield one parsed item per non-blank line; a line that fails becomes a RecordError naming file:line."""
    files, skip = skip_to(expand(targets), resume)
    for i, path in enumerate(files):
        first = skip if i == 0 else 0
        with open_text(path) as handle:
            try:
                for line_no, line in enumerate(handle, start=1):
                    if line_no <= first or not line.strip():
                        continue
                    where = f"{path}:{line_no}"
                    try:
                        item: Record | RecordError = parse(line, where)
                    except RecordError as exc:
                        item = exc
                    yield item, {"file": str(path), "line": line_no}
            except (UnicodeDecodeError, OSError, EOFError) as exc:
                yield RecordError(str(path), f"unreadable: {exc}"), {"file": str(path), "line": 0}
