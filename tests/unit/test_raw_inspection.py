"""The raw file inspection (segmart/raw_inspection.py) sees each file as DuckDB's line reader
does: the same physical lines, the same blank lines, and as bad exactly the lines the reader
cannot read. Checked against DuckDB's own reader on many small files made of the pieces that
make line cutting hard (breaks, byte order marks, Unicode spaces, invalid UTF-8 of each kind).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random

import duckdb
import pytest

from segmart import raw_inspection
from segmart.project_macros import duckdb_macros
from segmart.raw_inspection import MAX_LINE_BYTES, inspect_raw_file, landed_lines

PIECES = [
    b'{"a":1}',
    b"\n",
    b"\r\n",
    b" ",
    b"\t",
    b"x",
    b"\xef\xbb\xbf",  # byte order mark
    b"\xc2\xa0",  # no-break space (blank to trim)
    b"\xe3\x80\x80",  # ideographic space (blank to trim)
    b"\xe2\x80\x99",  # right single quote: valid, starts like a space separator
    b"\xff",  # never valid in UTF-8
    b"\xc3\x28",  # a lead byte without its continuation
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xc0\x80",  # an overlong encoding
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
]


def duckdb_reading(path) -> tuple[int, int, list[int]]:
    """(physical lines, blank lines, lines it cannot read) as the reader of
    macros/ingest/raw_event_files.sql sees the file, told by DuckDB's rejects table."""
    with duckdb.connect() as con:
        con.execute(
            "create temp table lines as select raw_line from read_csv(?,"
            " columns = {'raw_line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '',"
            " header = false, auto_detect = false, strict_mode = false,"
            f" max_line_size = {MAX_LINE_BYTES}, ignore_errors = true, store_rejects = true)",
            [str(path)],
        )
        rows, blank = con.execute(
            "select count(*), count(*) filter (where coalesce(trim(raw_line), '') = '') from lines"
        ).fetchone()
        bad = [
            line for (line,) in con.sql("select line from reject_errors order by line").fetchall()
        ]
    return rows + len(bad), blank, bad


def test_lines_blank_lines_and_bad_lines_are_those_duckdb_reads(tmp_path, monkeypatch):
    """Whatever the block size: files are read a block at a time, and a line or a CR LF split
    between two blocks must count as it does in one."""
    generator = random.Random(7)
    for case in range(300):
        content = b"".join(generator.choices(PIECES, k=generator.randint(0, 14)))
        path = tmp_path / f"case-{case}.jsonl"
        path.write_bytes(content)
        expected = duckdb_reading(path)
        landed = list(landed_lines(str(path)))
        for block_bytes in (1, 2, 3, 7):
            monkeypatch.setattr(raw_inspection, "BLOCK_BYTES", block_bytes)
            inspection = inspect_raw_file(str(path))
            seen = (
                inspection.physical_lines,
                inspection.blank_lines,
                [bad.line for bad in inspection.bad_lines],
            )
            assert seen == expected, (content, block_bytes)
            assert list(landed_lines(str(path))) == landed, (content, block_bytes)
            monkeypatch.undo()


def test_the_lines_postgres_loads_are_the_rows_duckdb_lands(tmp_path):
    """PostgreSQL's loader copies landed_lines; the DuckDB target reads files with the
    read_json_lines macro. For every file DuckDB reads whole, both give the same rows."""
    generator = random.Random(11)
    compared = 0
    for case in range(300):
        content = b"".join(generator.choices(PIECES, k=generator.randint(0, 14)))
        path = tmp_path / f"case-{case}.jsonl"
        path.write_bytes(content)
        if inspect_raw_file(str(path)).bad_lines:
            continue  # such files are read with their bad lines cut out (read_raw_event_files)
        with duckdb.connect() as con:
            rows = con.sql(duckdb_macros().read_json_lines([str(path)])).fetchall()
        assert [(line, text, error) for _, line, text, error in sorted(rows)] == list(
            landed_lines(str(path))
        ), content
        compared += 1
    assert compared > 50  # the others have a bad line


@pytest.mark.parametrize("block_bytes", [raw_inspection.BLOCK_BYTES, 1024 * 1024])
def test_a_bad_line_is_recorded_with_its_reason_and_its_bytes_shown(
    tmp_path, monkeypatch, block_bytes
):
    monkeypatch.setattr(raw_inspection, "BLOCK_BYTES", block_bytes)
    path = tmp_path / "bad.jsonl.gz"
    too_long = b'{"a": "' + b"x" * MAX_LINE_BYTES + b'"}'
    path.write_bytes(gzip.compress(b'{"a": 1}\n{"a": "\xff"}\n\n' + too_long + b"\n{}\n"))
    inspection = inspect_raw_file(str(path))
    assert (inspection.physical_lines, inspection.blank_lines, inspection.error) == (5, 1, None)
    assert inspection.file_size == path.stat().st_size
    assert inspection.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    (utf8, long) = inspection.bad_lines
    assert (utf8.line, utf8.reason, utf8.text) == (2, "invalid_utf8", '{"a": "\\xff"}')
    assert (long.line, long.reason, len(long.text)) == (4, "line_too_long", 1024)
    assert json.loads(json.loads(inspection.to_json())["bad_lines"])[0]["line"] == 2
    # What the PostgreSQL loader copies: every non-blank line, the bad ones with their reason.
    assert [(n, error) for n, _, error in landed_lines(str(path))] == [
        (1, None),
        (2, "invalid_utf8"),
        (4, "line_too_long"),
        (5, None),
    ]


def test_a_file_without_bad_lines_records_none(tmp_path):
    path = tmp_path / "good.jsonl"
    path.write_bytes(b'{"a": 1}\r\n{"a": "\xc3\xa9"}\r\n')
    inspection = inspect_raw_file(str(path))
    assert (inspection.physical_lines, inspection.blank_lines, inspection.bad_lines) == (2, 0, [])
    assert json.loads(inspection.to_json())["bad_lines"] is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("day.jsonl", "json"),
        ("DAY.NDJSON.GZ", "json"),
        ("day.json", "json"),
        ("day.Parquet", "parquet"),
        ("day.csv", None),
        ("day.json.bz2", None),
        ("parquet", None),
    ],
)
def test_a_file_kind_is_how_its_name_ends_in_any_case(name, kind):
    # The suffixes are dbt_project.yml's, which the raw_event_kind macro reads too
    # (tests/duckdb/test_rules_ingest.py: a .csv beside JSON lines is skipped by dbt).
    assert raw_inspection.raw_event_kind(f"/events/{name}") == kind


def test_hidden_files_are_not_listed_so_no_one_warns_about_them(tmp_path):
    """.gitkeep, .DS_Store or an uploader's partial file are no events: not listed (as Spark's
    file sources do not list them), so `segmart build` no longer says it skipped them. Other
    files are listed, and named when skipped."""
    (tmp_path / "sub" / ".hidden-dir-is-fine").mkdir(parents=True)
    for name in (".gitkeep", "sub/.DS_Store", ".day-2.jsonl.part", "day-1.jsonl", "notes.csv"):
        (tmp_path / name).write_text("{}\n")
    (tmp_path / "sub" / ".hidden-dir-is-fine" / "day-3.jsonl").write_text("{}\n")
    assert raw_inspection.raw_file_paths(str(tmp_path)) == [
        str(tmp_path / "day-1.jsonl"),
        str(tmp_path / "notes.csv"),
        str(tmp_path / "sub" / ".hidden-dir-is-fine" / "day-3.jsonl"),
    ]


@pytest.mark.parametrize(
    ("cut", "error"),
    [
        (
            lambda data: data[:-20],
            "truncated gzip: the compressed stream ends before its end marker",
        ),
        (lambda data: data[:200] + b"\x00" * 50 + data[250:], "corrupt gzip: "),
    ],
)
def test_a_broken_gzip_file_is_unreadable_and_hashed_whole(tmp_path, monkeypatch, cut, error):
    """The error can come after the first blocks: the file's size and hash still cover every
    byte, as the ledger keys versions by them."""
    monkeypatch.setattr(raw_inspection, "BLOCK_BYTES", 64)
    lines = b"".join(b'{"n": %d, "pad": "%s"}\n' % (n, b"x" * (n % 50)) for n in range(2000))
    path = tmp_path / "broken.jsonl.gz"
    path.write_bytes(cut(gzip.compress(lines, mtime=0)))
    inspection = inspect_raw_file(str(path))
    assert inspection.error.startswith(error)
    assert (inspection.physical_lines, inspection.blank_lines) == (None, None)
    assert inspection.file_size == path.stat().st_size
    assert inspection.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
