"""The scale run: a full build of D days of N events from gzip JSON lines, then one new day
incrementally on the same warehouse; each in a fresh process that reports its peak RSS.

bench/run.py compares segmart with baselines at 1M and 10M; at 100M its plain JSONL input
(about 85 GB) and its several warehouses would not fit this machine's disk, so this run keeps
one warehouse, reads gzip files (as Segment's S3 destination writes them) and measures what
target 3 in docs/benchmarks.md asks: that the build completes, its time, events/s and peak RSS,
and the incremental day after it. DuckDB's memory limit is the profile's
(SEGMART_DUCKDB_MEMORY_LIMIT).

Usage:  PYTHONPATH=$PWD:$PWD/bench .venv/bin/python bench/scale.py --events 100000000 \
            --work-dir DIR [--generated FILES_DIR]
(--generated: files written before by `python -m segmart.sample_data --format jsonl.gz --seed 1
--days D+1 --events N --out FILES_DIR`, so a run can start from them.)
Writes bench/results/scale-<UTC time>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from run import BENCH_DIR, link_files, measured, time_dbt_run

from segmart.sample_data import GeneratorConfig, generate
from segmart.settings import Settings

MEMORY_LIMIT_VARIABLE = "SEGMART_DUCKDB_MEMORY_LIMIT"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--days", type=int, default=30, help="days of history")
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--generated", type=Path, help="events generated before (see above)")
    args = parser.parse_args(argv)

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    result = {
        "started_at": started_at,
        "memory_limit": os.environ.get(MEMORY_LIMIT_VARIABLE, "profile default"),
        **scale_run(args.events, args.days, args.work_dir, args.generated),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"scale-{started_at.replace(':', '')}.json"
    out.write_text(json.dumps(result, indent=2))
    print(render(result))
    print(f"\nresults: {out}")
    return 0


def scale_run(events: int, days: int, work_dir: Path, generated: Path | None) -> dict:
    generate_seconds = None
    if generated is None:
        generated = work_dir / "generated"
        config = GeneratorConfig(events=events, seed=1, days=days + 1, output_format="jsonl.gz")
        summary = generate(generated, config)
        generate_seconds = round(summary.seconds, 1)
        print(f"generated: {summary.line()}", flush=True)
    # As in bench/run.py: the history is the first `days` receipt days, the new day the next.
    files = sorted(generated.glob("events-*.jsonl.gz"))
    history, new_day = files[:days], files[days]
    events_dir = link_files(history, work_dir / "arriving")
    settings = Settings(events=str(events_dir), duckdb_path=work_dir / "warehouse.duckdb")
    target = work_dir / "target"

    (full_seconds, full_models), full_rss = measured(
        functools.partial(time_dbt_run, settings, full_refresh=True, target=target)
    )
    full = counts(settings.duckdb_path)
    print(f"full build: {full_seconds:.1f} s, {full_rss:,.0f} MB, {full}", flush=True)

    link_files([new_day], events_dir)
    (new_day_seconds, new_day_models), new_day_rss = measured(
        functools.partial(time_dbt_run, settings, full_refresh=False, target=target)
    )
    after = counts(settings.duckdb_path)
    return {
        "events_requested": events,
        "days": days,
        "generate_seconds": generate_seconds,
        "input_bytes": sum(path.stat().st_size for path in files[: days + 1]),
        "raw_rows": full["raw_rows"],
        "sessions": full["sessions"],
        "full_build_seconds": round(full_seconds, 1),
        "full_build_peak_rss_mb": round(full_rss),
        "full_build_events_per_second": round(full["raw_rows"] / full_seconds),
        "warehouse_bytes_after_full_build": full["warehouse_bytes"],
        "new_day_rows": after["raw_rows"] - full["raw_rows"],
        "incremental_new_day_seconds": round(new_day_seconds, 1),
        "incremental_new_day_peak_rss_mb": round(new_day_rss),
        "incremental_vs_full": round(new_day_seconds / full_seconds, 3),
        "model_seconds": full_models,
        "incremental_model_seconds": new_day_models,
    }


def counts(duckdb_path: Path) -> dict:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        (raw_rows,) = connection.execute(
            "select count(*) from staging.stg_events_landed"
        ).fetchone()
        (sessions,) = connection.execute("select count(*) from marts.sessions").fetchone()
    return {
        "raw_rows": raw_rows,
        "sessions": sessions,
        "warehouse_bytes": duckdb_path.stat().st_size,
    }


def render(result: dict) -> str:
    gigabytes = 1024**3
    lines = [
        "| raw rows | input GB (gzip) | full build s | events/s | peak MB | warehouse GB "
        "| new day rows | new day s | peak MB | vs full |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {result['raw_rows']:,} | {result['input_bytes'] / gigabytes:.1f} "
        f"| {result['full_build_seconds']} | {result['full_build_events_per_second']:,} "
        f"| {result['full_build_peak_rss_mb']:,} "
        f"| {result['warehouse_bytes_after_full_build'] / gigabytes:.1f} "
        f"| {result['new_day_rows']:,} | {result['incremental_new_day_seconds']} "
        f"| {result['incremental_new_day_peak_rss_mb']:,} | {result['incremental_vs_full']}x |",
    ]
    for label, key in (("full build", "model_seconds"), ("new day", "incremental_model_seconds")):
        slowest = sorted(result[key].items(), key=lambda item: -item[1])[:8]
        lines.append(f"\n{label}, slowest models: " + ", ".join(f"{n} {s}s" for n, s in slowest))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
