"""Read-only questions to the built DuckDB warehouse: row counts and ad-hoc SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb

# The tables a user looks at first, in data-flow order.
SUMMARY_TABLES = (
    "staging.stg_events_landed",
    "staging.stg_events",
    "staging.stg_events_rejected",
    "staging.stg_events_duplicates",
    "marts.events",
    "marts.page_views",
    "marts.sessions",
    "marts.users",
)

FIRST_QUERY = """\
select channel, count(*) as sessions, round(avg(duration_seconds)) as avg_seconds,
       sum(order_count) as orders, round(sum(revenue), 2) as revenue
from marts.sessions
group by channel
order by sessions desc"""


def connect_read_only(duckdb_path: Path) -> duckdb.DuckDBPyConnection:
    if not duckdb_path.exists():
        raise FileNotFoundError(
            f"no warehouse at {duckdb_path}: build it first (segmart build, or scripts/demo.sh)"
        )
    return duckdb.connect(str(duckdb_path), read_only=True)


def row_counts(duckdb_path: Path, tables: tuple[str, ...] = SUMMARY_TABLES) -> dict[str, int]:
    with connect_read_only(duckdb_path) as connection:
        return {
            table: connection.execute(f"select count(*) from {table}").fetchone()[0]
            for table in tables
        }


def run_sql(duckdb_path: Path, sql: str) -> str:
    """The result of a query, rendered as DuckDB's text table."""
    with connect_read_only(duckdb_path) as connection:
        relation = connection.sql(sql)
        return str(relation) if relation is not None else "ok"
