"""Benchmarks for the warehouse foundation, reported as ratios against baselines measured in
the same run (never as absolute timing asserts).

1. Full build (dbt seed + dbt run --full-refresh of the foundation) on N generated events,
   against two hand-written DuckDB queries over the same files: the foundation's core work with
   one parse per line (baseline_foundation.sql, the target's baseline) and the older, weaker
   sessionization-only query (baseline_sessionization.sql, kept for history). Each runs in a
   fresh process that reports its own peak RSS.
2. Incremental refresh of one new day over D days of history, against a full rebuild of all
   D + 1 days.
3. Every starter segment plus 100 generated ones materialized on the full build's warehouse,
   against rebuilding `sessions` in the same run (bench/segments.py).

Usage:  .venv/bin/python bench/run.py --events 1000000 10000000 [--days 30] [--keep DIR]
Writes bench/results/<UTC time>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from timing import timed_run

from segmart.dbt_runner import run_dbt
from segmart.sample_data import GeneratorConfig, generate
from segmart.settings import Settings
from segments import bench_segments

BENCH_DIR = Path(__file__).resolve().parent
THREADS = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--days", type=int, default=30, help="days of history")
    parser.add_argument("--work-dir", type=Path, help="where to write events and warehouses")
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)

    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="segmart-bench-"))
    results = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "threads": THREADS,
        "days": args.days,
        "runs": [],
    }
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"{results['started_at'].replace(':', '')}.json"
    for events in args.events:
        results["runs"].append(bench_size(events, args.days, work_dir / f"n{events}"))
        out.write_text(json.dumps(results, indent=2))  # after each size: a crash keeps the rest
    print(render(results))
    print(f"\nresults: {out}")
    if not args.work_dir:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


def bench_size(events: int, days: int, work_dir: Path) -> dict:
    """Measure one size: full build vs baseline, then one new day incrementally vs full."""
    generated = work_dir / "generated"
    summary = generate(generated, GeneratorConfig(events=events, seed=1, days=days + 1))
    # Files are per receipt day: days + 1 full days, then small files of late arrivals that
    # trickle in after the last day. The benchmark's history is the first `days` days and the
    # new day is the next full one; the trickle is left out of every build alike.
    files = sorted(summary.files)
    history, new_day = files[:days], files[days]
    all_days = link_files([*history, new_day], work_dir / "all-days")

    measured_files = [*history, new_day]
    baseline_seconds, _ = measured(
        time_baseline, measured_files, work_dir / "baseline.duckdb", "baseline_sessionization.sql"
    )
    foundation_seconds, foundation_rss = measured(
        time_baseline, measured_files, work_dir / "foundation.duckdb", "baseline_foundation.sql"
    )

    full = Settings(events=str(all_days), duckdb_path=work_dir / "full.duckdb")
    (full_seconds, model_seconds), full_rss = measured(
        functools.partial(time_dbt_run, full, full_refresh=True, target=work_dir / "t1")
    )
    with duckdb.connect(str(full.duckdb_path), read_only=True) as connection:
        count = "select count(*) from {}"
        raw_rows = connection.execute(count.format("staging.stg_events_landed")).fetchone()[0]
        sessions = connection.execute(count.format("marts.sessions")).fetchone()[0]
    segments = bench_segments(full, work_dir / "segments")

    # Incremental: history first (not timed), then the new day's file arrives.
    events_dir = link_files(history, work_dir / "arriving")
    incremental = Settings(events=str(events_dir), duckdb_path=work_dir / "incremental.duckdb")
    time_dbt_run(incremental, full_refresh=True, target=work_dir / "t2")
    link_files([new_day], events_dir)
    incremental_seconds, incremental_models = time_dbt_run(
        incremental, full_refresh=False, target=work_dir / "t2"
    )
    return {
        "events_requested": events,
        "raw_rows": raw_rows,
        "sessions": sessions,
        "generate_seconds": round(summary.seconds, 2),
        "baseline_query_seconds": round(baseline_seconds, 2),
        "foundation_baseline_seconds": round(foundation_seconds, 2),
        "foundation_baseline_peak_rss_mb": round(foundation_rss),
        "full_build_seconds": round(full_seconds, 2),
        "full_build_peak_rss_mb": round(full_rss),
        "full_build_vs_baseline": round(full_seconds / baseline_seconds, 2),
        "full_build_vs_foundation_baseline": round(full_seconds / foundation_seconds, 2),
        "full_build_events_per_second": round(raw_rows / full_seconds),
        "new_day_rows": count_lines(new_day),
        "incremental_new_day_seconds": round(incremental_seconds, 2),
        "full_rebuild_seconds": round(full_seconds, 2),
        "incremental_vs_full": round(incremental_seconds / full_seconds, 3),
        "model_seconds": model_seconds,
        "incremental_model_seconds": incremental_models,
        "segments": segments,
    }


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def link_files(files: list[Path], folder: Path) -> Path:
    """Hard links to `files` in `folder` (created): the same bytes, no 9 GB copy at 10M."""
    folder.mkdir(exist_ok=True)
    for path in files:
        os.link(path, folder / path.name)
    return folder


def measured(function, *args):
    """function(*args) run in a fresh process: (its result, that process's peak RSS in MB)."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(_with_peak_rss, function, *args).result()


def _with_peak_rss(function, *args):
    result = function(*args)
    return result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def time_baseline(files: list[Path], duckdb_path: Path, query_file: str) -> float:
    file_list = "[" + ", ".join(f"'{path}'" for path in files) + "]"
    sql = (BENCH_DIR / query_file).read_text().format(files=file_list)
    with duckdb.connect(str(duckdb_path), config={"threads": THREADS}) as connection:
        started = time.perf_counter()
        connection.execute(sql)
        return time.perf_counter() - started


def time_dbt_run(settings: Settings, *, full_refresh: bool, target: Path) -> tuple[float, dict]:
    """Wall time of `dbt seed` + `dbt run` of the foundation (events to users; segments are
    benchmarked on their own), and each model's own execution time."""
    args = ["run", "--exclude", "path:models/segments+"]  # the segments and all they feed
    if full_refresh:
        args.append("--full-refresh")
    started = time.perf_counter()
    run_dbt(["seed"], settings, target_path=target)
    _, per_model = timed_run(args, settings, target)
    return time.perf_counter() - started, per_model


def render(results: dict) -> str:
    lines = [
        "| raw rows | sessions | foundation baseline s (peak MB) | segmart full build s "
        "(peak MB) | ratio | old baseline s | ratio | events/s | incremental new day s "
        "| vs full rebuild |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        lines.append(
            f"| {run['raw_rows']:,} | {run['sessions']:,} "
            f"| {run['foundation_baseline_seconds']} ({run['foundation_baseline_peak_rss_mb']:,}) "
            f"| {run['full_build_seconds']} ({run['full_build_peak_rss_mb']:,}) "
            f"| {run['full_build_vs_foundation_baseline']}x | {run['baseline_query_seconds']} "
            f"| {run['full_build_vs_baseline']}x | {run['full_build_events_per_second']:,} "
            f"| {run['incremental_new_day_seconds']} | {run['incremental_vs_full']}x |"
        )
    lines += [
        "",
        "| raw rows | segments | sessions build s | all segments build s | ratio "
        "| mean per segment s |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        seg = run["segments"]
        lines.append(
            f"| {run['raw_rows']:,} | {seg['segments']} | {seg['sessions_build_seconds']} "
            f"| {seg['segments_build_seconds']} | {seg['segments_vs_sessions']}x "
            f"| {seg['mean_segment_seconds']} |"
        )
    for run in results["runs"]:
        total = sum(run["model_seconds"].values()) or 1
        shares = ", ".join(
            f"{name} {seconds}s ({seconds / total:.0%})"
            for name, seconds in run["model_seconds"].items()
        )
        lines.append(f"\nmodel share of the full build at {run['raw_rows']:,} rows: {shares}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
