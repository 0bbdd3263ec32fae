"""Benchmark of the raw file inspection (segmart/raw_inspection.py): every generated file
inspected, against the floor of reading the same files' bytes and hashing them (what any
inspection must do), measured in the same run. Reported as a ratio, never asserted.

Usage:  .venv/bin/python bench/inspection.py --events 1000000 [--work-dir DIR]
Reuses DIR/generated when it holds files; prints one Markdown table row.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from segmart.raw_inspection import inspect_raw_file
from segmart.sample_data import GeneratorConfig, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--work-dir", type=Path, help="where to write (or find) the events")
    args = parser.parse_args(argv)
    generated = (args.work_dir or Path(tempfile.mkdtemp(prefix="segmart-bench-"))) / "generated"
    if not any(generated.glob("*.jsonl")):
        generate(generated, GeneratorConfig(events=args.events, seed=1, days=31))
    files = sorted(str(path) for path in generated.glob("*.jsonl"))
    size = sum(Path(path).stat().st_size for path in files)

    floor = _seconds(lambda path: hashlib.sha256(Path(path).read_bytes()).digest(), files)
    inspection = _seconds(inspect_raw_file, files)
    print("| files | MB | read + SHA-256 s | inspection s | ratio |")
    print("|---|---|---|---|---|")
    print(
        f"| {len(files)} | {size / 1e6:.0f} | {floor:.2f} | {inspection:.2f}"
        f" | {inspection / floor:.2f} |"
    )
    return 0


def _seconds(inspect, files: list[str]) -> float:
    started = time.perf_counter()
    for path in files:
        inspect(path)
    return time.perf_counter() - started


if __name__ == "__main__":
    raise SystemExit(main())
