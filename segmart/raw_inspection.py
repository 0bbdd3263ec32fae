"""What a raw event file holds, found by reading it independently of the reader that lands it.

Every engine that reads files for segmart asks this module about each new version of a file (a
path with a size and a modification time not seen before) and keeps the answer in the ledger of
raw files (models/staging/segment/stg_raw_file_ledger.sql): its size, a content hash, its physical
lines, the lines a reader cannot read (bad lines, each landed as a reject), and the error that
makes the whole file unreadable, if any. A file with an error is quarantined rather than read, so
one bad file never fails the build of the others; the physical line count lets the
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
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import duckdb

# The longest line the JSON-lines reader accepts (read_csv's max_line_size in
# macros/ingest/raw_event_files.sql and segmart/raw_load.py).
MAX_LINE_BYTES = 16 * 1024 * 1024

JSON_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")

# The most of a bad line the ledger keeps, as the reject's raw_message.
BAD_LINE_TEXT_BYTES = 1024

# Lines are cut where DuckDB's line reader cuts them: at CR LF, LF or CR when the file's first
# break is CR LF, else at every CR and every LF (spark_raw_event_files.sql follows the same rule).
# A line of only Unicode space separators is blank, as DuckDB's trim() sees it.
_SPACE_SEPARATORS = "".join(
    chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Zs"
)


@dataclass(frozen=True)
class BadLine:
    """A line the reader cannot land (a reject with `reason`), and the start of its bytes as
    text, undecodable bytes written as \\xNN."""

    line: int
    reason: str  # invalid_utf8 | line_too_long
    text: str


@dataclass(frozen=True)
class FileInspection:
    """One version of a raw file. physical_lines counts every line (Parquet: every row),
    blank_lines those the reader skips (empty, or only Unicode space separators), bad_lines
    those it cannot read (rejected one by one); the counts are None when the file cannot be read
    at all. error is None for a readable file, else why it is not."""

    file_size: int
    content_hash: str
    physical_lines: int | None
    blank_lines: int | None
    error: str | None
    bad_lines: list[BadLine] = field(default_factory=list)

    def to_json(self) -> str:
        """The inspection as a JSON object; bad_lines as JSON text of its own (null when there
        is none), so every engine's ledger holds the same text for it."""
        fields = asdict(self)
        fields["bad_lines"] = json.dumps(fields["bad_lines"]) if self.bad_lines else None
        return json.dumps(fields)


def raw_event_kind(path: str) -> str | None:
    """ "parquet", "json", or None for a file segmart does not read (the raw_event_kind macro)."""
    lowered = path.lower()
    if lowered.endswith(".parquet"):
        return "parquet"
    return "json" if lowered.endswith(JSON_SUFFIXES) else None


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
    lines, blank, bad = _count_lines(content)
    return FileInspection(size, digest, lines, blank, None, bad)


def _count_lines(content: bytes) -> tuple[int, int, list[BadLine]]:
    """Physical lines, blank lines and bad lines of JSON-lines content. Counted on the bytes as
    a whole (C speed) unless some line may be blank or bad: only such files are cut into lines."""
    content = _normalized(content)
    ends_unterminated = bool(content) and content[-1:] not in (b"\n", b"\r")
    # Most files hold no CR: finding that out costs a tenth of counting them.
    carriage_returns = content.count(b"\r") if b"\r" in content else 0
    lines = content.count(b"\n") + carriage_returns + ends_unterminated
    # A line that starts with "{" is not blank: when every line does (the usual case), no line
    # is, and the file need not be cut into lines to know it.
    may_be_blank = lines > (
        content.startswith(b"{")
        + content.count(b"\n{")
        + (content.count(b"\r{") if carriage_returns else 0)
    )
    may_be_bad = _has_long_line(content) or not (content.isascii() or _is_utf8(content))
    if not (may_be_blank or may_be_bad):
        return lines, 0, []
    blank, bad = 0, []
    for number, text, error in _read_lines(content):
        if error is not None:
            bad.append(BadLine(number, error, text))
        elif text is None:
            blank += 1
    return lines, blank, bad


def landed_lines(path: str) -> Iterator[tuple[int, str, str | None]]:
    """(source_line, raw_message, read_error) of each line of a readable JSON-lines file that
    DuckDB's reader lands, bad lines included: what segmart's PostgreSQL loader copies for a file
    with bad lines, which DuckDB's reader cannot read whole (segmart/raw_load.py)."""
    with open(path, "rb") as handle:
        content = handle.read()
    if path.lower().endswith(".gz"):
        content = gzip.decompress(content)
    for number, text, error in _read_lines(_normalized(content)):
        if text is not None:
            yield number, text, error


def _normalized(content: bytes) -> bytes:
    """Content whose lines end at every CR and every LF, as DuckDB's reader cuts them."""
    content = content.removeprefix(b"\xef\xbb\xbf")  # a byte order mark is no part of line 1
    first_break = re.search(rb"\r\n|\r|\n", content)
    if first_break is not None and first_break.group() == b"\r\n":
        content = content.replace(b"\r\n", b"\n")  # one break; CR and LF alone still break
    return content


def _read_lines(content: bytes) -> Iterator[tuple[int, str | None, str | None]]:
    """(number, text, read_error) of every line of normalized content: text is None for a blank
    line; a bad line has its reason and the start of its bytes."""
    lines = re.split(rb"\r|\n", content)
    if lines and not lines[-1]:  # a final line break ends the last line, it starts none
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_BYTES:
            yield number, _text(line), "line_too_long"
        elif not _is_utf8(line):
            yield number, _text(line), "invalid_utf8"
        else:
            # The reader's column ends at its delimiter \x01 (raw_event_files.sql).
            text = line.decode().split("\x01", 1)[0]
            yield number, (text if text.strip(_SPACE_SEPARATORS) else None), None


def _has_long_line(content: bytes) -> bool:
    """Whether a line is longer than MAX_LINE_BYTES: some window of that many bytes and one more
    holds no break. Jumps a window at a time, so a file costs a few calls per 16 MB."""
    start = 0
    while len(content) - start > MAX_LINE_BYTES:
        end = start + MAX_LINE_BYTES + 1
        last_break = max(content.rfind(b"\n", start, end), content.rfind(b"\r", start, end))
        if last_break < 0:
            return True
        start = last_break + 1
    return False


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _text(line: bytes) -> str:
    return line[:BAD_LINE_TEXT_BYTES].decode("utf-8", "backslashreplace")


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
