"""What a raw event file holds, found by reading it independently of the reader that lands it.

Every engine that reads files for segmart asks this module about each new version of a file (a
path with a size and a modification time not seen before) and keeps the answer in the ledger of
raw files (models/staging/segment/stg_raw_file_ledger.sql): its size, a content hash, its physical
lines, and the error that makes it unreadable, if any. A file with an error is quarantined rather
than read, so one bad file never fails the build of the others; the physical line count lets the
reconciliation test catch lines a reader did not land (a truncated gzip read without complaint).

The contract is the JSON object `inspect_raw_file` returns, so the reader that lands the lines can
change without touching the ledger.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import unicodedata
import zlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import duckdb

from segmart.raw_load import raw_event_kind

# The longest line the JSON-lines reader accepts (read_csv's max_line_size in
# macros/ingest/raw_event_files.sql and segmart/raw_load.py).
MAX_LINE_BYTES = 16 * 1024 * 1024

# Lines are cut where DuckDB's line reader cuts them: at CR LF, LF or CR when the file's first
# break is CR LF, else at every CR and every LF (spark_raw_event_files.sql follows the same rule).
# A line of only Unicode space separators is blank, as DuckDB's trim() sees it.
_SPACE_SEPARATORS = "".join(
    chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Zs"
)


@dataclass(frozen=True)
class FileInspection:
    """One version of a raw file. physical_lines counts every line (Parquet: every row),
    blank_lines those the reader skips (empty, or only Unicode space separators); both are None
    when the file cannot be read. error is None for a readable file, else why it is not."""

    file_size: int
    content_hash: str
    physical_lines: int | None
    blank_lines: int | None
    error: str | None

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def inspect_raw_file(path: str) -> FileInspection:
    """Read the file at `path` whole and say what it holds; never raises for a bad file."""
    try:
        with open(path, "rb") as handle:
            content = handle.read()
    except OSError as error:
        return FileInspection(0, "", None, None, f"cannot be read: {error.strerror or error}")
    size, digest = len(content), hashlib.sha256(content).hexdigest()

    def unreadable(reason: str) -> FileInspection:
        return FileInspection(size, digest, None, None, reason)

    if raw_event_kind(path) == "parquet":
        try:
            with duckdb.connect() as con:
                (rows,) = con.execute("select count(*) from read_parquet(?)", [path]).fetchone()
        except duckdb.Error as error:
            return unreadable(f"unreadable Parquet: {_first_line(str(error))}")
        return FileInspection(size, digest, rows, 0, None)
    if path.lower().endswith(".gz"):
        try:
            content = gzip.decompress(content)
        except EOFError:
            return unreadable("truncated gzip: the compressed stream ends before its end marker")
        except (gzip.BadGzipFile, zlib.error) as error:
            return unreadable(f"corrupt gzip: {error}")
    return _inspect_lines(size, digest, content)


def _inspect_lines(size: int, digest: str, content: bytes) -> FileInspection:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        number = len(_split_lines(content[: error.start] + b"x"))
        return FileInspection(
            size, digest, None, None, f"invalid UTF-8 on line {number}: {error.reason}"
        )
    lines = _split_lines(text.removeprefix("\ufeff"))  # a byte order mark is no part of line 1
    for number, line in enumerate(lines, start=1):
        # A character is at most 4 bytes: only lines that may be too long are encoded.
        if len(line) * 4 > MAX_LINE_BYTES and len(line.encode()) > MAX_LINE_BYTES:
            return FileInspection(
                size,
                digest,
                None,
                None,
                f"line {number} is longer than the reader's limit of {MAX_LINE_BYTES} bytes",
            )
    blank = sum(1 for line in lines if not line.strip(_SPACE_SEPARATORS))
    return FileInspection(size, digest, len(lines), blank, None)


def _split_lines(content):
    """The lines of text (str or bytes) as the reader cuts them (the last may be unterminated)."""
    crlf, single = (r"\r\n|\r|\n", r"\r|\n")
    if isinstance(content, bytes):
        crlf, single = crlf.encode(), single.encode()
    first = re.search(crlf, content)
    lines = re.split(crlf if first is not None and len(first.group()) == 2 else single, content)
    if lines and not lines[-1]:  # a final line break ends the last line, it starts none
        lines.pop()
    return lines


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def inspect_raw_file_json(path: str) -> str:
    """inspect_raw_file as JSON text: the DuckDB function segmart_inspect_raw_file."""
    return inspect_raw_file(path).to_json()


def file_version(path: str) -> tuple[int, datetime]:
    """A file's version as the ledger keys it: its size and its modification time in UTC, to the
    second (as DuckDB's read_blob reports it)."""
    stat = os.stat(path)
    modified = datetime.fromtimestamp(stat.st_mtime_ns // 1_000_000_000, UTC)
    return stat.st_size, modified.replace(tzinfo=None)
