"""A/B of two versions of one model's compiled SQL: each run as `create table ... as` into a fresh
DuckDB file in its own process (2 threads, 8GB memory limit), alternating, so both sides see the
same machine. Prints wall seconds and the process's peak RSS per run.

Usage:  .venv/bin/python bench/ab_model.py A.sql B.sql [--rounds 3] [--work-dir DIR]
Take A.sql and B.sql from target/compiled/segmart/models/... of two checkouts (strip the
`-- depends_on` lines' relations if they name another database file).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ONE_RUN = """
import resource, sys, time, duckdb
sql = open(sys.argv[1]).read()
with duckdb.connect(sys.argv[2], config={"threads": 2, "memory_limit": "8GB"}) as con:
    con.execute("set enable_progress_bar = false")
    started = time.perf_counter()
    con.execute("create table measured as " + sql)
seconds = time.perf_counter() - started
print(f"{seconds:.2f} s, peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sql", type=Path, nargs=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work-dir", type=Path)
    args = parser.parse_args(argv)
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="segmart-ab-"))
    for round_number in range(1, args.rounds + 1):
        for side, sql in zip("AB", args.sql, strict=True):
            database = work_dir / f"{side}.duckdb"
            database.unlink(missing_ok=True)
            result = subprocess.run(
                [sys.executable, "-c", ONE_RUN, str(sql), str(database)],
                capture_output=True,
                text=True,
                check=True,
            )
            print(f"round {round_number} {side} ({sql.name}): {result.stdout.strip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
