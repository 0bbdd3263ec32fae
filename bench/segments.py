"""Benchmark: materialize every starter segment plus N generated ones (default 100) on a built
warehouse, against rebuilding `sessions` itself in the same run.

Segments read the marts (sessions, users, events), never the raw files, so their cost should be
a small multiple of the sessions build however many there are. The generated segments are the
starter definitions renamed with their numbers scaled (windows, counts, thresholds), so they
cover every condition type the starter library uses.

Usage:  .venv/bin/python bench/segments.py --duckdb WAREHOUSE --events EVENTS [--generated 100]
(bench/run.py calls it on the warehouse of its full build.)
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
from pathlib import Path

import yaml
from timing import timed_run

from segmart.compiler import generated_files, write_generated
from segmart.project_copy import copy_project
from segmart.registry import load_registry
from segmart.settings import PROJECT_DIR, Settings

# Numbers worth scaling: windows, counts and thresholds (never percentages or grain rules).
SCALED_KEYS = {"last_days", "last_hours", "recent_days", "at_least", "hours", "gt", "gte", "lt"}
SCALES = (2, 3, 4, 5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb", type=Path, required=True, help="a built warehouse")
    parser.add_argument("--events", required=True, help="its raw events (SEGMART_EVENTS)")
    parser.add_argument("--generated", type=int, default=100)
    args = parser.parse_args(argv)
    settings = Settings(events=args.events, duckdb_path=args.duckdb)
    with tempfile.TemporaryDirectory(prefix="segmart-bench-segments-") as work_dir:
        result = bench_segments(settings, Path(work_dir), args.generated)
    print(json.dumps(result, indent=2))
    return 0


def bench_segments(settings: Settings, work_dir: Path, generated: int = 100) -> dict:
    project = copy_project(work_dir / "project")
    starter = [
        yaml.safe_load(path.read_text()) for path in sorted(PROJECT_DIR.glob("segments/*.yml"))
    ]
    entries = starter + generated_entries(starter, generated)
    segments_dir = project / "segments"
    segments_dir.mkdir()
    for entry in entries:
        (segments_dir / f"{entry['name']}.yml").write_text(yaml.safe_dump(entry, sort_keys=False))
    registry = load_registry(segments_dir)
    write_generated(generated_files(registry), project_dir=project)

    target = work_dir / "target"
    sessions_seconds, _ = timed_run(
        ["run", "--select", "sessions", "--full-refresh"], settings, target, project
    )
    segments_seconds, per_model = timed_run(
        ["run", "--select", "path:models/segments", "--full-refresh"], settings, target, project
    )
    segment_models = {name: s for name, s in per_model.items() if name.startswith("seg_")}
    return {
        "segments": len(segment_models),
        "sessions_build_seconds": round(sessions_seconds, 2),
        "segments_build_seconds": round(segments_seconds, 2),
        "segments_vs_sessions": round(segments_seconds / sessions_seconds, 2),
        "mean_segment_seconds": round(sum(segment_models.values()) / len(segment_models), 3),
        "slowest_models": dict(list(per_model.items())[:8]),
    }


def generated_entries(starter: list[dict], count: int) -> list[dict]:
    """`count` variants of the starter segments: renamed, numbers scaled, references kept."""
    entries = []
    for number in range(count):
        base = starter[number % len(starter)]
        scale = SCALES[(number // len(starter)) % len(SCALES)]
        entry = copy.deepcopy(base)
        entry["name"] = f"{base['name']}_x{number}"
        entry["title"] = f"{base['title']} (x{scale}, variant {number})"
        entry["where"] = scaled(entry["where"], scale)
        entries.append(entry)
    return entries


def scaled(node, scale: int, key: str | None = None):
    if isinstance(node, dict):
        return {k: scaled(v, scale, k) for k, v in node.items()}
    if isinstance(node, list):
        return [scaled(item, scale, key) for item in node]
    if key in SCALED_KEYS and isinstance(node, int) and not isinstance(node, bool):
        return node * scale
    return node


if __name__ == "__main__":
    sys.exit(main())
