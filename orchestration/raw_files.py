"""The raw event files at SEGMART_EVENTS, listed the way dbt's ingest lists them
(macros/ingest/raw_event_files.sql): one file, a folder searched recursively, or a glob; only
JSON lines and Parquet files."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from segmart.raw_inspection import raw_event_kind, raw_file_paths


@dataclass(frozen=True)
class RawFile:
    path: str
    size: int
    mtime_ns: int
    # When the file arrived: the inode change time, which creating, writing, copying or moving a
    # file into the folder sets to the present, even when a copy keeps an old modification time.
    changed_ns: int = 0


def list_raw_files(location: str) -> list[RawFile]:
    """Every event file at the location, sorted by path (missing location: none)."""
    found = []
    for path in raw_file_paths(location):
        if raw_event_kind(path) is None:
            continue
        try:
            stat = os.stat(path)
        except FileNotFoundError:  # removed while listing
            continue
        found.append(RawFile(path, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))
    return found


def relative_name(location: str, path: str) -> str:
    """A file's name relative to the location's folder (keeps sensor cursors short)."""
    base = location if os.path.isdir(location) else os.path.dirname(location.split("*")[0])
    try:
        return str(Path(path).relative_to(base))
    except ValueError:
        return path


def batch_key(names: Iterable[str]) -> str:
    """A stable id of a set of files: the run key of the refresh that loads them."""
    digest = hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()
    return digest[:16]
