"""Landing raw events from warehouse tables against landing the same events from files
(docs/sources.md): `+stg_events_landed` built with --full-refresh from the JSON-lines files, from
a raw JSON table of their lines, and from the Segment warehouse-destination tables of the
messages Segment can hold, in one run; each reported as a ratio to the files' time.

Usage:  PYTHONPATH=$PWD:$PWD/bench:$PWD/tests .venv/bin/python bench/sources.py \\
            --events DIR [--rounds 2] [--work-dir DIR]
The tables are written into each build's DuckDB file first (untimed), as a loader would have.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from raw_tables_support import (
    Arrivals,
    json_table,
    lines_of,
    segment_loadable,
    segment_tables,
    write_duckdb,
)
from timing import timed_run

from segmart.dbt_runner import environment
from segmart.settings import Settings

SOURCES = {
    "files": {},
    "json_table": {
        "SEGMART_SOURCE": "json_table",
        "SEGMART_SOURCE_TABLE": "raw_json.events",
        "SEGMART_SOURCE_JSON_COLUMN": "message",
    },
    "segment_warehouse": {
        "SEGMART_SOURCE": "segment_warehouse",
        "SEGMART_SOURCE_SCHEMA": "website",
    },
}


def write_tables(source: str, arrivals: Arrivals, path: Path) -> None:
    """The raw tables of `source` in the DuckDB file at `path` (none for files)."""
    lines = arrivals.lines
    if source == "json_table":
        write_duckdb(path, "raw_json", [json_table(lines, arrivals.loaded_at())])
    elif source == "segment_warehouse":
        kept = [line for line in lines if segment_loadable(line)]
        write_duckdb(path, "website", segment_tables(kept, arrivals.loaded_at()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work-dir", type=Path)
    args = parser.parse_args(argv)
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="segmart-sources-"))
    files = sorted(path for path in args.events.rglob("*.jsonl"))
    arrivals = Arrivals(files, first=len(files))
    print(f"{len(lines_of(files))} raw lines in {len(files)} files")
    for round_number in range(1, args.rounds + 1):
        seconds_of = {}
        for source, variables in SOURCES.items():
            run_dir = work_dir / source
            shutil.rmtree(run_dir, ignore_errors=True)
            run_dir.mkdir(parents=True)
            path = run_dir / "segmart.duckdb"
            write_tables(source, arrivals, path)
            events = str(args.events if source == "files" else run_dir / "no-files")
            settings = Settings(
                events=events, duckdb_path=path, source=variables.get("SEGMART_SOURCE", "files")
            )
            with environment(variables):
                seconds, per_model = timed_run(
                    ["run", "--full-refresh", "--select", "+stg_events_landed"],
                    settings,
                    run_dir / "target",
                )
            seconds_of[source] = seconds
            landed = per_model.get("stg_events_landed", 0)
            print(
                f"round {round_number} {source}: {seconds:.1f} s "
                f"({seconds / seconds_of['files']:.2f} x files), stg_events_landed {landed:.2f} s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
