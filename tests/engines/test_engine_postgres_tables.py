"""Raw events from PostgreSQL tables (SEGMART_SOURCE, docs/sources.md): a loader's raw JSON table
and a Segment warehouse-destination schema (times with a time zone, properties as columns, JSON
as jsonb), each filled in two loads with a refresh after each, give what the same messages give
as files on DuckDB: every table of every layer, row for row (tests/engines_support.py). DuckDB's
tables: tests/duckdb/test_raw_tables.py.

Needs a PostgreSQL server: `eval "$(bash scripts/postgres.sh start)"` (scripts/test.sh does it).
Without SEGMART_PG_HOST these tests skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from engines_support import (
    HISTORY_TABLES,
    MODELS_ONLY,
    assert_same_table,
    duckdb_build,
    duckdb_tables,
)
from raw_tables_support import (
    SOURCE_COLUMNS,
    Arrivals,
    Table,
    comparable_rows,
    comparable_tables,
    json_table,
    segment_loadable,
    segment_tables,
    write_postgres,
)
from segments_support import AS_OF

from segmart.sample_data import GeneratorConfig, generate

from conftest import require_postgres_server

require_postgres_server()

pytest.importorskip("psycopg2")
from postgres_support import PostgresWarehouse  # noqa: E402  (needs psycopg2)


@pytest.fixture(scope="module")
def messages(tmp_path_factory):
    """The messages Segment's warehouse destination can hold (segment_loadable) of a generated
    sample, as arrivals of a file a day, and the tables their files give on DuckDB."""
    root = tmp_path_factory.mktemp("postgres-tables")
    generated = root / "generated"
    generate(
        generated,
        GeneratorConfig(events=10_000, days=10, start=(AS_OF - timedelta(days=10)).date()),
    )
    events = root / "events"
    events.mkdir()
    for path in sorted(generated.iterdir()):
        kept = [line for line in path.read_text().splitlines() if segment_loadable(line)]
        (events / path.name).write_text("\n".join(kept) + "\n")
    files = sorted(events.iterdir())
    duckdb_build(events, root / "files.duckdb", root / "target-duckdb")
    return Arrivals(files, first=len(files) // 2), duckdb_tables(root / "files.duckdb")


def build_in_two_loads(
    arrivals: Arrivals, schema: str, tables: list[Table], source: dict, target: Path
) -> PostgresWarehouse:
    """The tables written in two loads (Arrivals), a refresh after each."""
    warehouse = PostgresWarehouse(arrivals.files[0].parent, target, source)
    # The first refresh without dbt's tests: the second runs them.
    for arrived, args in ((arrivals.in_first, MODELS_ONLY), (arrivals.in_second, ())):
        connection = warehouse.connect()
        try:
            write_postgres(connection, schema, tables, arrived)
        finally:
            connection.close()
        warehouse.build(*args)
    return warehouse


def assert_same_as_files(expected: dict, warehouse: PostgresWarehouse, ignored: set[str]) -> None:
    expected = comparable_tables(expected, ignored)
    assert len(expected["staging.stg_events"][1]) > 5_000
    for name, (columns, rows, json_columns) in expected.items():
        if name in HISTORY_TABLES:  # two refreshes rightly record one more than one
            continue
        actual = comparable_rows(*warehouse.query(f"select * from {name}"), json_columns, ignored)
        assert_same_table(name, (columns, rows, json_columns), actual[:2], "PostgreSQL")


def test_a_raw_json_table_on_postgres_gives_what_its_files_give_on_duckdb(messages, tmp_path):
    arrivals, expected = messages
    table = json_table(arrivals.lines, arrivals.loaded_at())
    source = {
        "SEGMART_SOURCE": "json_table",
        "SEGMART_SOURCE_TABLE": "raw_json.events",
        "SEGMART_SOURCE_JSON_COLUMN": "message",
    }
    warehouse = build_in_two_loads(arrivals, "raw_json", [table], source, tmp_path / "target")
    try:
        assert_same_as_files(expected, warehouse, SOURCE_COLUMNS)
        _, landed = warehouse.query(
            "select source_file, count(*), max(source_line), count(distinct _load_sequence)"
            " from staging.stg_events_landed group by source_file"
        )
        rows = len(arrivals.lines)
        assert landed == [("raw_json.events", rows, rows, 2)]
    finally:
        warehouse.drop()


def test_a_segment_warehouse_schema_on_postgres_gives_what_its_files_give_on_duckdb(
    messages, tmp_path
):
    arrivals, expected = messages
    tables = segment_tables(arrivals.lines, arrivals.loaded_at())
    source = {"SEGMART_SOURCE": "segment_warehouse", "SEGMART_SOURCE_SCHEMA": "website"}
    warehouse = build_in_two_loads(arrivals, "website", tables, source, tmp_path / "target")
    try:
        # raw_message (kept on rejects) is the message rebuilt from its row, not the line sent.
        assert_same_as_files(expected, warehouse, SOURCE_COLUMNS | {"raw_message"})
        _, landed = warehouse.query("select count(*) from staging.stg_events_landed")
        assert landed == [(len(arrivals.lines),)]
    finally:
        warehouse.drop()
