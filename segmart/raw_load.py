"""Load raw event files into PostgreSQL (Snowflake and BigQuery load them from their own cloud
storage, server-side: macros/ingest/load_raw_events.sql).

DuckDB reads JSONL and Parquet files directly in stg_events_landed. PostgreSQL cannot, so on the
`postgres` target segmart first appends every file not loaded yet to `raw.segment_events`
(source_file, source_line, raw_message), and stg_events_landed reads that table instead
(macros/ingest/raw_event_files.sql, `landed_raw_messages`). Nothing here restates how the
DuckDB target reads files: the location's glob and the Parquet reader are its macros, rendered
for DuckDB (segmart/project_macros.py), and JSON lines are cut by the inspection
(segmart/raw_inspection.py, `landed_lines`), which is what DuckDB's reader lands. Rows are copied
in bulk with COPY, one transaction per load: never a row at a time.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from segmart.project_macros import duckdb_macros
from segmart.raw_inspection import (
    file_version,
    inspect_raw_file,
    landed_lines,
    raw_event_kind,
    raw_file_paths,
)
from segmart.sql import duckdb_string

RAW_SCHEMA = "raw"
RAW_TABLE = "segment_events"
# Each version of each file the loader has seen, with its inspection (segmart/raw_inspection.py):
# the ledger model reads it where dbt cannot inspect files itself (raw_file_ledger.sql).
INSPECTIONS_TABLE = "segment_file_inspections"


def postgres_dsn(environ: dict[str, str] | None = None) -> str:
    """libpq connection string from the variables profiles.yml's `postgres` target reads."""
    env = os.environ if environ is None else environ
    parts = {
        "host": env.get("SEGMART_PG_HOST", "127.0.0.1"),
        "port": env.get("SEGMART_PG_PORT", "5432"),
        "user": env.get("SEGMART_PG_USER", "segmart"),
        "dbname": env.get("SEGMART_PG_DBNAME", "segmart"),
    }
    if env.get("SEGMART_PG_PASSWORD"):
        parts["password"] = env["SEGMART_PG_PASSWORD"]
    return " ".join(f"{key}={value}" for key, value in parts.items())


@dataclass(frozen=True)
class RawLoad:
    rows: int  # rows appended
    skipped: list[str]  # files at the location that are neither JSON lines nor Parquet
    files: int = 0  # JSON lines and Parquet files at the location, loaded before or now

    def summary(self) -> str:
        text = f"loaded {self.rows:,} new raw rows into PostgreSQL"
        if self.skipped:
            text += (
                f"; skipped {len(self.skipped)} file(s) that are neither JSON lines nor Parquet: "
                + ", ".join(self.skipped[:5])
            )
        return text


def load_raw_events(location: str, dsn: str | None = None) -> RawLoad:
    """Append the lines of every file at `location` not loaded before. Files of another kind are
    not read, and named in the result (the DuckDB target warns about them the same way)."""
    import psycopg2  # comes with dbt-postgres

    table = f"{RAW_SCHEMA}.{RAW_TABLE}"
    with psycopg2.connect(dsn or postgres_dsn()) as pg, pg.cursor() as cursor:
        cursor.execute(f"create schema if not exists {RAW_SCHEMA}")
        cursor.execute(
            f"create table if not exists {table} ("
            " source_file text not null, source_line bigint not null, raw_message text not null,"
            " loaded_at timestamp not null default (now() at time zone 'UTC'), read_error text)"
        )
        # Tables loaded before segmart recorded bad lines have no read_error yet.
        cursor.execute(f"alter table {table} add column if not exists read_error text")
        # One loader at a time: a second waits rather than loading the same files twice.
        cursor.execute(f"lock table {table} in share row exclusive mode")
        cursor.execute(f"select distinct source_file from {table}")
        loaded = {row[0] for row in cursor.fetchall()}
        found = raw_file_paths(location)
        inspections = _inspect_new_versions(cursor, [p for p in found if raw_event_kind(p)])
        # New readable files by kind; None: files segmart does not read, loaded or not.
        by_kind: dict[str | None, list[str]] = {"json": [], "parquet": [], None: []}
        for path in found:
            kind = raw_event_kind(path)
            readable = path in inspections and inspections[path]["error"] is None
            if kind is None or (path not in loaded and readable):
                by_kind[kind].append(path)
        skipped, json_files, parquet_files = by_kind[None], by_kind["json"], by_kind["parquet"]
        rows = 0
        with tempfile.TemporaryDirectory(prefix="segmart-raw-") as folder:
            csv_path = Path(folder) / "raw.csv"
            if parquet_files:
                reader = duckdb_macros().read_parquet_rows(parquet_files)
                with duckdb.connect() as con:
                    con.execute(
                        f"copy ({reader}) to {duckdb_string(str(csv_path))}"
                        " (format csv, header false)"
                    )
                rows += _copy_csv(cursor, table, csv_path)
            if json_files:
                # Lines as the inspection cuts them, which is how DuckDB's reader lands them
                # (bad lines each a row with its read_error).
                with csv_path.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.writer(handle)
                    for path in json_files:
                        writer.writerows(
                            (path, number, _without_nul(text), error)
                            for number, text, error in landed_lines(path)
                        )
                rows += _copy_csv(cursor, table, csv_path)
        return RawLoad(rows, skipped, len(found) - len(skipped))


def _without_nul(text: str) -> str:
    """PostgreSQL text cannot hold a NUL byte (COPY would fail the whole load): it is kept as
    the four characters \\x00, as invalid UTF-8 bytes are. A JSON line holding one raw is not
    JSON either way, so the row is the same invalid_json reject as on DuckDB."""
    return text.replace("\x00", "\\x00")


def _copy_csv(cursor, table: str, csv_path: Path) -> int:
    """Append the rows of a CSV file (no header) to the raw table; how many."""
    columns = "source_file, source_line, raw_message, read_error"
    with csv_path.open("rb") as handle:
        cursor.copy_expert(f"copy {table} ({columns}) from stdin (format csv)", handle)
    return cursor.rowcount


def _inspect_new_versions(cursor, paths: list[str]) -> dict[str, dict]:
    """Record an inspection of each file version not inspected before; return the inspection of
    each file's present version (segmart/raw_inspection.py). Unreadable files are not loaded:
    the ledger quarantines them."""
    table = f"{RAW_SCHEMA}.{INSPECTIONS_TABLE}"
    cursor.execute(
        f"create table if not exists {table} (source_file text not null,"
        " file_size bigint not null, modified_at timestamp not null, inspection text not null)"
    )
    cursor.execute(f"select source_file, file_size, modified_at, inspection from {table}")
    seen = {(row[0], row[1], row[2]): row[3] for row in cursor.fetchall()}
    inspections = {}
    for path in paths:
        try:
            version = (path, *file_version(path))
        except FileNotFoundError:  # removed while listing
            continue
        inspection = seen.get(version)
        if inspection is None:
            inspection = inspect_raw_file(path).to_json()
            cursor.execute(f"insert into {table} values (%s, %s, %s, %s)", [*version, inspection])
        # Inspections recorded before bad lines were: a readable file had none.
        inspections[path] = {"bad_lines": None, **json.loads(inspection)}
    return inspections
