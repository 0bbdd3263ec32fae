"""A BI reader for tests/duckdb/test_serving.py, run as its own process: queries the serving
file in a loop through short read-only connections until the stop file appears, and writes one
JSON line per query round (what it saw, or the error it met)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb


def snapshot(path: str) -> dict:
    # One connection per round: everything read in a round comes from one published file.
    with duckdb.connect(path, read_only=True) as connection:

        def scalar(sql: str):
            return connection.execute(sql).fetchone()[0]

        catalog = dict(
            connection.execute(
                "select segment_name, members from segments.segment_catalog"
            ).fetchall()
        )
        return {
            "published_at": str(scalar("select published_at from serving.publication")),
            "sessions": scalar("select count(*) from marts.sessions"),
            "catalog": catalog,
            "tables": {name: scalar(f"select count(*) from segments.{name}") for name in catalog},
            "memberships": dict(
                connection.execute(
                    "select segment_name, count(*) from segments.segment_memberships group by 1"
                ).fetchall()
            ),
            "funnel": dict(
                connection.execute(
                    "select segment_name, max(segment_members) from reports.segment_funnel "
                    "group by 1"
                ).fetchall()
            ),
        }


def main(path: str, out: str, stop: str) -> None:
    with open(out, "w", encoding="utf-8") as log:
        while not Path(stop).exists():
            started = time.perf_counter()
            try:
                line = snapshot(path)
            except Exception as error:  # any error is a finding: record it and go on
                line = {"error": f"{type(error).__name__}: {error}"}
            line["seconds"] = round(time.perf_counter() - started, 4)
            log.write(json.dumps(line) + "\n")
            log.flush()


if __name__ == "__main__":
    main(*sys.argv[1:4])
