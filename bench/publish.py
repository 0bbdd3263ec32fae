"""What publishing costs (segmart/serving.py), as ratios against baselines of the same run.

A warehouse is built from N generated events; then, ROUNDS times each, in turn:
- baseline: publishing as a file copy (checkpoint, copy, flush: what publish did before the
  serving file held only what BI may read, and what the snapshot still does);
- publish(): the snapshot and the serving file (the BI schemas written fresh, table by table).
Reported: seconds (median), the ratio publish / copy and publish / the full build, and the
size of each file.

Usage:  .venv/bin/python bench/publish.py --events 1000000 [--rounds 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from segmart.dbt_runner import run_dbt
from segmart.sample_data import GeneratorConfig, generate
from segmart.serving import _copy, publish
from segmart.settings import Settings


def copy_publish(settings: Settings, destination: Path) -> float:
    started = time.perf_counter()
    with duckdb.connect(str(settings.duckdb_path)) as connection:
        connection.execute("checkpoint")
        _copy(settings.duckdb_path, destination)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="segmart-bench-publish-"))
    work.mkdir(parents=True, exist_ok=True)
    generate(work / "events", GeneratorConfig(events=args.events, seed=1, days=30))
    settings = Settings(events=str(work / "events"), duckdb_path=work / "segmart.duckdb")
    started = time.perf_counter()
    run_dbt(["build", "--full-refresh"], settings, target_path=work / "target")
    build_seconds = time.perf_counter() - started

    copies, publishes = [], []
    for _ in range(args.rounds):
        copies.append(copy_publish(settings, work / "copy.duckdb"))
        publishes.append(publish(settings))
    copy_seconds = statistics.median(copies)
    publish_seconds = statistics.median(p.seconds for p in publishes)
    last = publishes[-1]
    result = {
        "events": args.events,
        "build_seconds": round(build_seconds, 1),
        "warehouse_mb": round(settings.duckdb_path.stat().st_size / 1e6),
        "copy_seconds": [round(s, 2) for s in copies],
        "publish_seconds": [round(p.seconds, 2) for p in publishes],
        "publish_vs_copy": round(publish_seconds / copy_seconds, 2),
        "publish_vs_build": round(publish_seconds / build_seconds, 3),
        "serving_file_mb": round(last.bytes / 1e6),
        "snapshot_mb": round(last.snapshot.stat().st_size / 1e6),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
