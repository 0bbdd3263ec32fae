"""The driver: build the tables in an in-memory DuckDB, then write one file per arrival day,
two at a time."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from segmart.sample_data.config import (
    DUPLICATE_FAULTS,
    FAULT_SHARES,
    OUTPUT_FORMATS,
    GenerationSummary,
    GeneratorConfig,
)
from segmart.sample_data.population import events_sql, sessions_sql, visitors_sql
from segmart.sample_data.records import copy_day_sql
from segmart.sample_data.sql_blocks import macros_sql
from segmart.sql import duckdb_string

# The in-memory database holding the generator's tables.
_DATABASE = "sample_data"
# Files written at the same time (each by its own COPY statement).
_PARALLEL_FILES = 2
# Good events per visitor average about 23; guess low so one pass nearly always suffices.
_EVENTS_PER_VISITOR_GUESS = 20


def _build_tables(con: duckdb.DuckDBPyConnection, config: GeneratorConfig) -> None:
    n_visitors = config.events // _EVENTS_PER_VISITOR_GUESS + 100
    while True:
        con.execute(visitors_sql(n_visitors, config))
        con.execute(sessions_sql(config))
        (total,) = con.execute("select coalesce(sum(n_events), 0) from sessions").fetchone()
        if total >= config.events:
            break
        # visitors are a prefix of a longer run's, so asking for more only appends some
        n_visitors = int(n_visitors * 1.1 * config.events / max(total, 1)) + 100
    # Number events in visitor order; the first `events` of them are generated.
    con.execute("""
        create or replace table session_offsets as
        select sid, (sum(n_events) over (order by sid) - n_events)::bigint as first_e
        from sessions
    """)
    con.execute(events_sql(config))


def generate(out_dir: Path, config: GeneratorConfig | None = None) -> GenerationSummary:
    """Write ``events-YYYY-MM-DD.<format>`` files into ``out_dir``; see the module docstring."""
    config = config or GeneratorConfig()
    config.validate()
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("events-*"):
        if old.name.endswith(tuple(f".{extension}" for extension in OUTPUT_FORMATS)):
            old.unlink()

    with tempfile.TemporaryDirectory(prefix="segmart-sample-") as spill, duckdb.connect() as con:
        con.execute(f"set temp_directory = {duckdb_string(spill)}")
        con.execute("set preserve_insertion_order = true")
        con.execute("set TimeZone = 'UTC'")
        # compressed in-memory tables: several times smaller at a small cost in build time
        con.execute(f"attach ':memory:' as {_DATABASE} (compress)")
        con.execute(f"use {_DATABASE}")
        con.execute(macros_sql(config.seed))
        _build_tables(con, config)
        days = [
            row[0]
            for row in con.execute("select distinct received_day from events order by 1").fetchall()
        ]
        files = [out_dir / f"events-{day.isoformat()}.{config.output_format}" for day in days]

        def write(day: dt.date, path: Path) -> int:
            with con.cursor() as cursor:
                cursor.execute(f"use {_DATABASE}")
                (count,) = cursor.execute(copy_day_sql(config, day, path)).fetchone()
            return int(count)

        # Each COPY ends in a mostly sequential write: two at a time keep both cores busy.
        with ThreadPoolExecutor(max_workers=_PARALLEL_FILES) as pool:
            rows_written = sum(pool.map(write, days, files))
        (expected,) = con.execute("select count(*) from events").fetchone()
        if rows_written != expected:
            raise RuntimeError(f"wrote {rows_written} rows, expected {expected}")
        faults = dict.fromkeys(FAULT_SHARES, 0)
        duplicates = ", ".join(duckdb_string(kind) for kind in DUPLICATE_FAULTS)
        for kind, count in con.execute(f"""
            select fault, count(*)
            from events
            where fault is not null and (copy_no = 1 or fault not in ({duplicates}))
            group by fault
        """).fetchall():
            faults[kind] = count

    return GenerationSummary(
        files=files,
        rows_written=rows_written,
        seconds=time.perf_counter() - started,
        faults=faults,
        events=config.events,
        bytes_written=sum(path.stat().st_size for path in files),
    )
