"""What a Dagster run of the foundation adds over the same `dbt build` run by hand (issue 11).

Both sides refresh the same warehouse from the same snapshot, alternating, each in a fresh
process timed from outside (process start, imports and dbt's parse included on both):

- by hand: `dbt build --exclude path:models/segments path:models/reports`, the foundation as a
  user would build it from a terminal;
- Dagster: the `refresh_foundation` job (the one its schedule and sensor run), executed in
  process on an ephemeral instance: loading the definitions (the registry compile and dbt parse
  when either changed, the manifest), the run, the row counts of every table it wrote, and the
  serving file it publishes for BI readers. The child reports how long each of those took.

Two kinds of refresh: `incremental` (30 days built, one new day's file arrived; the daily run)
and `full` (--full-refresh of all 31 days).

Usage:  .venv/bin/python bench/dagster_overhead.py [--events 1000000] [--rounds 2] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import link_files

from segmart.dbt_runner import run_dbt
from segmart.sample_data import GeneratorConfig, generate
from segmart.serving import serving_path
from segmart.settings import PROJECT_DIR, Settings

VENV_BIN = Path(sys.executable).parent
FOUNDATION = ["--exclude", "path:models/segments", "path:models/reports"]

# The Dagster side, in its own process. Prints one JSON line of phase timings.
DAGSTER_RUN = """
import json, sys, time
started = time.perf_counter()
from dagster import DagsterInstance
from orchestration.definitions import defs
loaded = time.perf_counter()
job = defs.get_job_def("refresh_foundation")
run_config = {
    "ops": {"segmart_dbt": {"config": {"full_refresh": sys.argv[1] == "full"}}},
    "loggers": {"console": {"config": {"log_level": "ERROR"}}},
}
with DagsterInstance.ephemeral() as instance:
    result = job.execute_in_process(run_config=run_config, instance=instance)
finished = time.perf_counter()
print(json.dumps({
    "success": result.success,
    "load_definitions_seconds": round(loaded - started, 2),
    "run_seconds": round(finished - loaded, 2),
}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30, help="days of history")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work-dir", type=Path)
    args = parser.parse_args(argv)
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="segmart-dagster-bench-"))
    work_dir.mkdir(parents=True, exist_ok=True)

    summary = generate(
        work_dir / "generated", GeneratorConfig(events=args.events, seed=1, days=args.days + 1)
    )
    files = sorted(summary.files)
    events_dir = work_dir / "events"
    shutil.rmtree(events_dir, ignore_errors=True)
    link_files(files[: args.days], events_dir)
    warehouse = work_dir / "warehouse.duckdb"
    snapshot = work_dir / "history.duckdb"
    settings = Settings(events=str(events_dir), duckdb_path=warehouse)
    warehouse.unlink(missing_ok=True)
    run_dbt(["build", "--full-refresh", *FOUNDATION], settings, target_path=work_dir / "target")
    shutil.copy(warehouse, snapshot)  # 30 days built: where every round starts
    new_day = files[args.days]
    link_files([new_day], events_dir)

    dagster_home = work_dir / "dagster-home"
    dagster_home.mkdir(exist_ok=True)
    rows = []
    for kind in ("incremental", "full"):
        for round_number in range(1, args.rounds + 1):
            for side in ("dbt", "dagster"):
                # A write-ahead log left beside the file would be replayed into the fresh copy.
                warehouse.with_name(warehouse.name + ".wal").unlink(missing_ok=True)
                shutil.copy(snapshot, warehouse)
                shutil.rmtree(serving_path(settings).parent, ignore_errors=True)
                seconds, phases = _timed(side, kind, settings, dagster_home)
                rows.append(
                    {"kind": kind, "round": round_number, "side": side, "seconds": seconds} | phases
                )
                print(json.dumps(rows[-1]), flush=True)
    print(render(rows))
    return 0


def _timed(side: str, kind: str, settings: Settings, dagster_home: Path) -> tuple[float, dict]:
    env = {**os.environ, **settings.as_env(), "PYTHONPATH": str(PROJECT_DIR)}
    if side == "dbt":
        command = [str(VENV_BIN / "dbt"), "build", *FOUNDATION, "--quiet"]
        if kind == "full":
            command.append("--full-refresh")
    else:
        env["DAGSTER_HOME"] = str(dagster_home)  # the run is ephemeral: nothing is kept there
        command = [sys.executable, "-c", DAGSTER_RUN, kind]
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )
    seconds = round(time.perf_counter() - started, 2)
    if result.returncode != 0:
        raise SystemExit(f"{side} {kind} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    phases = json.loads(result.stdout.strip().splitlines()[-1]) if side == "dagster" else {}
    return seconds, phases


def render(rows: list[dict]) -> str:
    lines = [
        "| refresh | round | dbt build s | Dagster run s | overhead | Dagster: load definitions s "
        "| run s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    by_key = {(row["kind"], row["round"], row["side"]): row for row in rows}
    for kind, round_number, side in by_key:
        if side != "dbt":
            continue
        dbt = by_key[(kind, round_number, "dbt")]
        dagster = by_key[(kind, round_number, "dagster")]
        overhead = dagster["seconds"] / dbt["seconds"] - 1
        lines.append(
            f"| {kind} | {round_number} | {dbt['seconds']} | {dagster['seconds']} "
            f"| {overhead:+.0%} | {dagster['load_definitions_seconds']} "
            f"| {dagster['run_seconds']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
