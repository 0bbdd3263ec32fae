"""What a raw event file holds, found by reading it independently of the reader that lands it.

Every engine that reads files for segmart asks this module about each new version of a file (a
path with a size and a modification time not seen before) and keeps the answer in the ledger of
raw files (models/staging/raw_events/stg_raw_file_ledger.sql): its size, a content hash, its
physical lines, the lines a reader cannot read (bad lines, each landed as a reject), and the error
that makes the whole file unreadable, if any. A file with an error is quarantined rather than
read, so one bad file never fails the build of the others; the physical line count lets the
reconciliation test catch lines a reader did not land (a truncated gzip read without complaint).

The contract is the JSON object `inspect_raw_file` returns, so the reader that lands the lines can
change without touching the ledger.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

import duckdb

from segmart.project_macros import duckdb_macros
from segmart.settings import project_var

# The longest line the JSON-lines reader accepts (read_csv's max_line_size in
# macros/ingest/raw_event_files.sql and segmart/raw_load.py).
MAX_LINE_BYTES: int = project_var("segmart_max_line_bytes")

# Content is read this many bytes at a time (after decompression): more than MAX_LINE_BYTES, so
# a line of any length the reader accepts takes at most two blocks.
BLOCK_BYTES = 32 * 1024 * 1024

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
    """ "parquet", "json", or None for a file segmart does not read: the raw_event_kind macro
    (by how its name ends, dbt_project.yml's segmart_raw_file_suffixes)."""
    return duckdb_macros().raw_event_kind(path)


def raw_file_paths(location: str) -> list[str]:
    """Every file at a raw events location, sorted, readable or not: what DuckDB's ingest lists
    (the raw_event_file_listing macro), listed by DuckDB itself, so every reader sees one set."""
    listing = duckdb_macros().raw_event_file_listing(location, None, None)
    with duckdb.connect() as connection:
        rows = connection.execute(listing).fetchall()
    return [row[0] for row in rows]


def inspect_raw_file(path: str) -> FileInspection:
    """Read the file at `path` and say what it holds; never raises for a bad file. Reads it a
    block at a time: the memory it takes is a block and the file's longest line."""
    try:
        with open(path, "rb") as handle:
            return _inspect(_HashedReader(handle), path)
    except OSError as error:
        return FileInspection(0, "", None, None, f"cannot be read: {error.strerror or error}")


def _inspect(raw: _HashedReader, path: str) -> FileInspection:
    error = None
    try:
        if raw_event_kind(path) == "parquet":
            lines, blank, bad = _parquet_rows(path), 0, []
        else:
            lines, blank, bad = _count_lines(_line_chunks(_content_blocks(raw, path)))
    except duckdb.Error as parquet_error:
        error = f"unreadable Parquet: {_first_line(str(parquet_error))}"
    except EOFError:
        error = "truncated gzip: the compressed stream ends before its end marker"
    except zlib.error as gzip_error:
        error = f"corrupt gzip: {gzip_error}"
    size, digest = raw.finish()
    if error is not None:
        return FileInspection(size, digest, None, None, error)
    return FileInspection(size, digest, lines, blank, None, bad)


class _HashedReader:
    """Reads a binary file for the inspection, hashing and counting every byte read."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()
        self._size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._digest.update(data)
        self._size += len(data)
        return data

    def finish(self) -> tuple[int, str]:
        """Read what is left (a gzip error stops reading early) and return (size, hash)."""
        while self.read(BLOCK_BYTES):
            pass
        return self._size, self._digest.hexdigest()


def _parquet_rows(path: str) -> int:
    with duckdb.connect() as con:
        (rows,) = con.execute("select count(*) from read_parquet(?)", [path]).fetchone()
    return rows


def _content_blocks(raw: BinaryIO | _HashedReader, path: str) -> Iterator[bytes]:
    """The file's content in blocks of at most BLOCK_BYTES: decompressed as it is read when the
    file is gzip."""
    if path.lower().endswith(".gz"):
        return _gunzipped(raw)
    return iter(lambda: raw.read(BLOCK_BYTES), b"")


def _gunzipped(raw: BinaryIO | _HashedReader) -> Iterator[bytes]:
    """The decompressed blocks of a gzip stream of one member or more (zero bytes may pad them,
    as gzip.decompress allows). Raises EOFError when the stream ends inside a member, zlib.error
    when it is corrupt. zlib checks each member's header, CRC and length itself; a block is
    bounded by BLOCK_BYTES whatever the compression ratio. Faster than reading a GzipFile, which
    joins small decompressed pieces into every block."""
    decompressor, data = None, b""
    while True:
        if not data:
            data = raw.read(BLOCK_BYTES // 8)
            if not data:
                if decompressor is not None and not decompressor.eof:
                    raise EOFError("the compressed stream ends before its end marker")
                return
        if decompressor is None or decompressor.eof:
            if decompressor is not None:
                data = data.lstrip(b"\x00")  # padding after a member
                if not data:
                    continue
            decompressor = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
        block = decompressor.decompress(data, BLOCK_BYTES)
        data = decompressor.unconsumed_tail or decompressor.unused_data
        if block:
            yield block


def _line_chunks(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """The content as chunks of whole lines in file order, normalized: the byte order mark
    dropped, and CR LF made one break (LF) when the file's first break is CR LF, so that every
    chunk's lines end at each CR and each LF, as DuckDB's reader cuts them."""
    first_break = None  # the file's first line break, once a chunk has one
    for number, chunk in enumerate(_whole_lines(blocks)):
        if number == 0:
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")  # no part of line 1
        if first_break is None:
            found = re.search(rb"\r\n|\r|\n", chunk)
            first_break = found.group() if found else None
        if first_break == b"\r\n":
            chunk = chunk.replace(b"\r\n", b"\n")  # one break; CR and LF alone still break
        yield chunk


def _whole_lines(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """The blocks cut again so that each ends at a line break (the last may not): a line, and a
    CR LF, is never split between two."""
    pending = b""
    for block in blocks:
        # A CR as the last byte may be the first half of a CR LF: cut before it.
        cut = max(block.rfind(b"\n") + 1, block.rfind(b"\r", 0, len(block) - 1) + 1)
        if not cut:  # no line ends in this block
            pending += block
            continue
        # One copy of the block: joined with the line it ends, not sliced then added.
        yield b"".join((pending, memoryview(block)[:cut]))
        pending = block[cut:]
    if pending:
        yield pending


def _count_lines(chunks: Iterator[bytes]) -> tuple[int, int, list[BadLine]]:
    """Physical lines, blank lines and bad lines of a file's normalized chunks."""
    lines, blank, bad = 0, 0, []
    for chunk in chunks:
        chunk_lines = _physical_lines(chunk)
        chunk_blank, chunk_bad = _blank_and_bad_lines(chunk, chunk_lines, first_line=lines + 1)
        lines, blank = lines + chunk_lines, blank + chunk_blank
        bad += chunk_bad
    return lines, blank, bad


def _physical_lines(chunk: bytes) -> int:
    # Most files hold no CR: finding that out is cheaper than counting them.
    carriage_returns = chunk.count(b"\r") if b"\r" in chunk else 0
    ends_unterminated = bool(chunk) and chunk[-1:] not in (b"\n", b"\r")
    return chunk.count(b"\n") + carriage_returns + ends_unterminated


def _blank_and_bad_lines(chunk: bytes, lines: int, first_line: int) -> tuple[int, list[BadLine]]:
    """Blank and bad lines of one chunk of `lines` lines. Found on the bytes as a whole (C
    speed) unless some line may be blank or bad: only such chunks are cut into lines."""
    # A line that starts with "{" is not blank: when every line does (the usual case), no line
    # is, and the chunk need not be cut into lines to know it.
    line_starts = chunk.startswith(b"{") + chunk.count(b"\n{")
    if b"\r" in chunk:
        line_starts += chunk.count(b"\r{")
    may_be_blank = lines > line_starts
    may_be_bad = _has_long_line(chunk) or not (chunk.isascii() or _is_utf8(chunk))
    if not (may_be_blank or may_be_bad):
        return 0, []
    blank, bad = 0, []
    for number, text, error in _read_lines(chunk, first_line):
        if error is not None:
            bad.append(BadLine(number, error, text))
        elif text is None:
            blank += 1
    return blank, bad


def landed_lines(path: str) -> Iterator[tuple[int, str, str | None]]:
    """(source_line, raw_message, read_error) of each line of a readable JSON-lines file that
    DuckDB's reader lands, bad lines included: what segmart's PostgreSQL loader copies for a file
    with bad lines, which DuckDB's reader cannot read whole (segmart/raw_load.py)."""
    with open(path, "rb") as handle:
        first_line = 1
        for chunk in _line_chunks(_content_blocks(handle, path)):
            for number, text, error in _read_lines(chunk, first_line):
                if text is not None:
                    yield number, text, error
            first_line += _physical_lines(chunk)


def _read_lines(chunk: bytes, first_line: int) -> Iterator[tuple[int, str | None, str | None]]:
    """(number, text, read_error) of every line of a normalized chunk, numbered from
    first_line: text is None for a blank line; a bad line has its reason and the start of its
    bytes."""
    lines = re.split(rb"\r|\n", chunk)
    if lines and not lines[-1]:  # a final line break ends the last line, it starts none
        lines.pop()
    for number, line in enumerate(lines, start=first_line):
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
