"""A read-only connection to the DuckDB warehouse, with errors that say what to do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# What every segment query reads; without them the warehouse was never built.
MARTS = ("sessions", "users", "events")


class InspectError(RuntimeError):
    """An analyst command cannot answer; the message says why and what to do."""


@contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse opened read-only (never the write lock), with the marts checked."""
    if not path.exists():
        raise InspectError(f"no warehouse at {path}: run `segmart build` first")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        if "lock" in str(error).lower():
            raise InspectError(
                f"the warehouse {path} is being written (a refresh is running?): "
                "try again when it has finished"
            ) from None
        raise InspectError(f"cannot open the warehouse {path}: {error}") from None
    try:
        # The dbt profile runs every model in UTC; so do these queries.
        connection.execute("set TimeZone = 'UTC'")
        missing = _missing_marts(connection)
        if missing:
            raise InspectError(
                f"the warehouse {path} has no {', '.join(missing)}: run `segmart build` first"
            )
        yield connection
    finally:
        connection.close()


def _missing_marts(connection: duckdb.DuckDBPyConnection) -> list[str]:
    found = {
        row[0]
        for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    return [f"marts.{name}" for name in MARTS if name not in found]


def fetch(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of a query; a table the query needs but the warehouse lacks is an
    InspectError."""
    try:
        relation = connection.sql(sql)
        return relation.columns, relation.fetchall()
    except duckdb.CatalogException as error:
        reason = str(error).splitlines()[0]
        raise InspectError(
            f"the warehouse lacks a table this needs ({reason}): run `segmart build` first"
        ) from None


def table_columns(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    """The columns of schema.table in order; [] when there is no such table."""
    rows = connection.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [row[0] for row in rows]
