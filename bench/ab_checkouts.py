"""A/B of one dbt selection on two checkouts of the project (e.g. main before and after a
change, the first from `git worktree add /tmp/base <commit>`): each round builds the selection
with --full-refresh into a fresh DuckDB file from the same events, the two checkouts
alternating, so both see the same machine. Prints wall seconds and each selected model's.

Usage:  PYTHONPATH=$PWD:$PWD/bench .venv/bin/python bench/ab_checkouts.py BASE_DIR HEAD_DIR
            --events DIR --select '+stg_events_landed' [--rounds 2] [--work-dir DIR]
A selection that reads seeds (sessions, segments) is built with `build --exclude
resource_type:test`, so the seeds it reads are loaded too (untimed per model: they are seeds).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from timing import timed_run

from segmart.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", type=Path, nargs=2)
    parser.add_argument("--events", required=True)
    parser.add_argument("--select", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work-dir", type=Path)
    args = parser.parse_args(argv)
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="segmart-ab-"))
    for round_number in range(1, args.rounds + 1):
        for side, checkout in zip(("A", "B"), args.checkouts, strict=True):
            run_dir = work_dir / side
            shutil.rmtree(run_dir, ignore_errors=True)
            run_dir.mkdir(parents=True)
            settings = Settings(events=args.events, duckdb_path=run_dir / "segmart.duckdb")
            seconds, per_model = timed_run(
                [
                    *("build", "--full-refresh", "--select", args.select),
                    *("--exclude", "resource_type:test"),
                ],
                settings,
                run_dir / "target",
                checkout.resolve(),
            )
            models = ", ".join(f"{name} {value:.2f} s" for name, value in per_model.items())
            print(f"round {round_number} {side} ({checkout}): {seconds:.1f} s; {models}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
