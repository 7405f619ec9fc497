"""Writing derived indexes so that a crash at any instant leaves the last complete state: append-only
logs cut back to their committed length, manifests replaced atomically, files fsynced before a rename.

Shared by the vector index, the sentence store, the indexer's state and the exported model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

MANIFEST = "index.json"
# An append-only log is rewritten without its dead rows (rows replaced since) once they are this many.
COMPACT_MIN_DEAD = 10_000
COMPACT_DEAD_FRACTION = 0.3


def compaction_due(dead_rows: int, rows: int) -> bool:
    """Whether a log's dead rows are many enough, absolutely and as a share, to be worth a rewrite."""
    return dead_rows >= max(COMPACT_MIN_DEAD, COMPACT_DEAD_FRACTION * rows)


def remove_other_files(directory: Path, patterns: tuple[str, ...], keep: set[str]) -> None:
    """Files matching ``patterns`` that are not in ``keep``: older generations, or what a crash left."""
    for pattern in patterns:
        for path in directory.glob(pattern):
            if path.name not in keep:
                path.unlink(missing_ok=True)


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """What tells one version of a file from the next (inode, mtime, size: a rename-replaced file gets a
    new inode), or None when it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def fsync_path(path: Path) -> None:
    """Flush a file (or a directory's entries) to disk: what makes a rename or a new file durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(directory: Path, fmt: int, dim: int, what: str) -> dict[str, Any] | None:
    """The manifest of the index in ``directory`` (created empty if missing: None), checked to be ours."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MANIFEST
    if not path.exists():
        return None
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != fmt or manifest.get("dim") != dim:
        raise ValueError(
            f"the {what} in {directory} has format {manifest.get('format')} and dimension "
            f"{manifest.get('dim')}, expected {fmt} and {dim}: delete it and re-index"
        )
    return manifest


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Temp file, fsync, rename, fsync the directory: a crash leaves the old file or the new one."""
    tmp = path.with_name(f"{path.name}.tmp")
    with tmp.open("w") as fh:
        fh.write(json.dumps(data, indent=2) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    fsync_path(path.parent)


def append_log(path: Path, committed_bytes: int, data: bytes) -> None:
    """Cut whatever a crashed save left past the committed length, then append and flush to disk."""
    with path.open("ab") as fh:
        fh.truncate(committed_bytes)
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
