"""Raw events from warehouse tables (SEGMART_SOURCE, docs/sources.md) give what the same events
give as files, on DuckDB: every table of every layer, row for row, also when the rows arrive in
two loads with a refresh after each. On PostgreSQL: tests/engines/test_engine_postgres_tables.py.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from engines_support import (
    ENGINE_VARS,
    HISTORY_TABLES,
    MODELS_ONLY,
    assert_same_table,
    duckdb_build,
    duckdb_tables,
)
from raw_tables_support import (
    LOADS_START,
    SOURCE_COLUMNS,
    Arrivals,
    column_table,
    comparable_tables,
    event_table,
    json_table,
    segment_loadable,
    segment_tables,
    write_duckdb,
)
from segments_support import AS_OF, AS_OF_TEXT, as_of_env

from segmart.dbt_runner import DbtCommandError, environment, run_dbt
from segmart.sample_data import GeneratorConfig, generate
from segmart.settings import Settings

JSON_TABLE = {
    "SEGMART_SOURCE": "json_table",
    "SEGMART_SOURCE_TABLE": "raw_json.events",
    "SEGMART_SOURCE_JSON_COLUMN": "message",
}
COLUMN_TABLE = {"SEGMART_SOURCE": "json_table", "SEGMART_SOURCE_TABLE": "raw_json.events"}
SEGMENT_WAREHOUSE = {"SEGMART_SOURCE": "segment_warehouse", "SEGMART_SOURCE_SCHEMA": "website"}
# Landing alone: the models that read the raw rows, no dbt test.
LANDING_ONLY = ("--select", "+stg_events_landed", *MODELS_ONLY)


def build_from_tables(path: Path, source: dict[str, str], target: Path, *args: str) -> None:
    """Build the DuckDB file from the raw event tables `source` names."""
    settings = Settings(
        events=str(path.parent / "no-files"), duckdb_path=path, source=source["SEGMART_SOURCE"]
    )
    with as_of_env(AS_OF_TEXT), environment(source):
        run_dbt(["build", "--threads", "2", *ENGINE_VARS, *args], settings, target_path=target)


def assert_same_tables(
    expected: dict, path: Path, ignored: set[str], source: str, refreshes: int = 1
) -> None:
    """Every table the files gave (`expected`: duckdb_tables) holds the same rows in `path`,
    except refresh history after more refreshes than one (it rightly records each)."""
    expected = comparable_tables(expected, ignored)
    actual = comparable_tables(duckdb_tables(path), ignored)
    assert set(actual) == set(expected)
    assert len(expected["staging.stg_events"][1]) > 5_000
    for name, table in expected.items():
        if refreshes > 1 and name in HISTORY_TABLES:
            continue
        columns, rows, _ = actual[name]
        assert_same_table(name, table, (columns, rows), source)


@pytest.fixture(scope="module")
def arrivals(tmp_path_factory) -> Arrivals:
    """A generated sample (with its duplicates, late arrivals and rejects), a file per day."""
    folder = tmp_path_factory.mktemp("raw-tables") / "events"
    start = (AS_OF - timedelta(days=10)).date()
    generate(folder, GeneratorConfig(events=10_000, days=10, start=start))
    files = sorted(folder.iterdir())
    return Arrivals(files, first=len(files) // 2)


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("raw-tables-target")


def files_reference(root: Path, lines: list[str], target: Path) -> dict:
    """The tables a build of `lines` from a JSON-lines file gives."""
    folder = root / "events"
    folder.mkdir(parents=True)
    (folder / "events.jsonl").write_text("\n".join(lines) + "\n")
    duckdb_build(folder, root / "files.duckdb", target)
    return duckdb_tables(root / "files.duckdb")


@pytest.fixture(scope="module")
def every_line_as_files(arrivals, tmp_path_factory, target) -> dict:
    return files_reference(tmp_path_factory.mktemp("all-lines"), arrivals.lines, target)


@pytest.fixture(scope="module")
def segment_lines_as_files(arrivals, tmp_path_factory, target) -> dict:
    """The messages Segment's warehouse destination can hold (segment_loadable), as files."""
    lines = [line for line in arrivals.lines if segment_loadable(line)]
    return files_reference(tmp_path_factory.mktemp("segment-lines"), lines, target)


@pytest.fixture(scope="module")
def json_table_warehouse(arrivals, tmp_path_factory, target) -> Path:
    """Every line (invalid JSON too) in a loader's raw table, landed by two refreshes."""
    path = tmp_path_factory.mktemp("json-table") / "segmart.duckdb"
    table = json_table(arrivals.lines, arrivals.loaded_at())
    write_duckdb(path, "raw_json", [table], arrivals.in_first)
    build_from_tables(path, JSON_TABLE, target, *MODELS_ONLY)
    write_duckdb(path, "raw_json", [table], arrivals.in_second)
    build_from_tables(path, JSON_TABLE, target)
    return path


def test_a_raw_json_table_gives_what_its_lines_give_as_files(
    arrivals, json_table_warehouse, every_line_as_files
):
    assert_same_tables(
        every_line_as_files, json_table_warehouse, SOURCE_COLUMNS, "json_table", refreshes=2
    )
    with duckdb.connect(str(json_table_warehouse), read_only=True) as connection:
        landed = connection.execute(
            "select source_file, count(*), min(source_line), max(source_line),"
            " count(distinct source_line), count(distinct _load_sequence),"
            " count(*) filter (where reject_reason = 'invalid_json')"
            " from staging.stg_events_landed group by source_file"
        ).fetchall()
    rows = len(arrivals.lines)
    # A row is a line: numbered 1..n in load order, landed by the two refreshes; even a row that
    # is no JSON is a reject of its own.
    assert landed[0][:6] == ("raw_json.events", rows, 1, rows, rows, 2)
    assert len(landed) == 1 and landed[0][6] > 0


def test_a_segment_warehouse_schema_gives_what_its_messages_give_as_files(
    arrivals, segment_lines_as_files, tmp_path
):
    path = tmp_path / "segmart.duckdb"
    lines = [line for line in arrivals.lines if segment_loadable(line)]
    loaded_at = arrivals.loaded_at()
    by_line = {line: loaded_at(i) for i, line in enumerate(arrivals.lines)}
    tables = segment_tables(lines, lambda i: by_line[lines[i]])
    write_duckdb(path, "website", tables, arrivals.in_first)
    build_from_tables(path, SEGMENT_WAREHOUSE, tmp_path / "target", *MODELS_ONLY)
    write_duckdb(path, "website", tables, arrivals.in_second)
    build_from_tables(path, SEGMENT_WAREHOUSE, tmp_path / "target")
    # raw_message (kept on rejects) is the message rebuilt from its row, not the line sent.
    ignored = SOURCE_COLUMNS | {"raw_message"}
    assert_same_tables(segment_lines_as_files, path, ignored, "segment_warehouse", refreshes=2)
    with duckdb.connect(str(path), read_only=True) as connection:
        files = dict(
            connection.execute(
                "select source_file, count(*) from staging.stg_events_landed group by 1"
            ).fetchall()
        )
    # A track is read from its event's table; tracks keeps only those without one (blank names).
    assert {"website.pages", "website.identifies", "website.order_completed"} <= set(files)
    assert sum(files.values()) == len(lines)
    messages = [json.loads(line) for line in lines]
    blank = [m for m in messages if m["type"] == "track" and not event_table(m["event"])]
    assert files["website.tracks"] == len(blank) > 0


def test_a_raw_table_with_a_column_per_field_lands_what_files_land(
    arrivals, segment_lines_as_files, tmp_path
):
    # What lands is all that differs between sources (every later model reads only the landed
    # rows, the tests above show): its rows, from a column per message field, are the files'.
    path = tmp_path / "segmart.duckdb"
    lines = [line for line in arrivals.lines if segment_loadable(line)]
    write_duckdb(path, "raw_json", [column_table(lines, lambda i: LOADS_START)])
    build_from_tables(path, COLUMN_TABLE, tmp_path / "target", *LANDING_ONLY)
    ignored = SOURCE_COLUMNS | {"raw_message"}
    expected = comparable_tables(segment_lines_as_files, ignored)["staging.stg_events_landed"]
    actual = comparable_tables(duckdb_tables(path), ignored)["staging.stg_events_landed"]
    assert len(actual[1]) == len(lines)
    assert_same_table("staging.stg_events_landed", expected, actual[:2], "json_table (columns)")


def test_a_row_written_with_an_earlier_load_time_is_reported_then_landed_by_a_full_refresh(
    arrivals, json_table_warehouse, tmp_path
):
    path = tmp_path / "segmart.duckdb"
    shutil.copy(json_table_warehouse, path)
    late = (
        '{"type":"page","messageId":"late-1","anonymousId":"a","timestamp":"2024-05-25T00:00:00Z"}'
    )
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "insert into raw_json.events (message, uuid_ts) values (?, ?)", [late, LOADS_START]
        )
    settings = Settings(events=str(tmp_path / "no-files"), duckdb_path=path, source="json_table")
    with (
        environment(JSON_TABLE),
        pytest.raises(DbtCommandError, match="assert_raw_tables_reconcile"),
    ):
        run_dbt(["test", "--select", "assert_raw_tables_reconcile"], settings)
    build_from_tables(path, JSON_TABLE, tmp_path / "target", "--full-refresh", *LANDING_ONLY)
    with environment(JSON_TABLE):
        run_dbt(["test", "--select", "assert_raw_tables_reconcile"], settings)
    with duckdb.connect(str(path), read_only=True) as connection:
        landed = connection.execute(
            "select count(*), count(*) filter (where message_id = 'late-1')"
            " from staging.stg_events_landed"
        ).fetchone()
    assert landed == (len(arrivals.lines) + 1, 1)


@pytest.mark.parametrize(
    ("source", "tables", "error"),
    [
        ({"SEGMART_SOURCE": "tables"}, None, "SEGMART_SOURCE (var segmart_source) must be files,"),
        (
            {"SEGMART_SOURCE": "json_table", "SEGMART_SOURCE_TABLE": "events"},
            None,
            "must name the raw events table as schema.table, not 'events'",
        ),
        (
            {"SEGMART_SOURCE": "json_table", "SEGMART_SOURCE_TABLE": "raw_json.missing"},
            None,
            "SEGMART_SOURCE_TABLE=raw_json.missing: no such table",
        ),
        (
            JSON_TABLE | {"SEGMART_SOURCE_LOADED_AT": "_loaded_at"},
            "raw_json",
            "raw_json.events needs the time its loader wrote each row, a timestamp column named by"
            " SEGMART_SOURCE_LOADED_AT",
        ),
        (JSON_TABLE | {"SEGMART_SOURCE_JSON_COLUMN": "body"}, "raw_json", "has no such column"),
        (JSON_TABLE, "empty", "no raw event in raw_json.events (SEGMART_SOURCE=json_table)"),
        ({"SEGMART_SOURCE": "segment_warehouse"}, None, "set it"),
        (SEGMENT_WAREHOUSE, None, "SEGMART_SOURCE_SCHEMA=website: "),
        # Beside Segment's tables, one of something else: list the event tables.
        (SEGMENT_WAREHOUSE, "website", "website.notes is no Segment table (it has no id column)"),
        (
            SEGMENT_WAREHOUSE | {"vars": "{segmart_source_event_tables: [order_completed]}"},
            "website",
            "var segmart_source_event_tables lists order_completed, which website does not have",
        ),
    ],
)
def test_a_wrong_source_setting_is_an_error_naming_it(source, tables, error, tmp_path):
    path = tmp_path / "segmart.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema raw_json")
        if tables:
            connection.execute("create table raw_json.events (message varchar, uuid_ts timestamp)")
        if tables == "raw_json":
            connection.execute("insert into raw_json.events values ('{}', now())")
        if tables == "website":
            connection.execute("create schema website")
            connection.execute("create table website.pages (id varchar, uuid_ts timestamp)")
            connection.execute("create table website.notes (body varchar)")
    source = dict(source)
    dbt_vars = ["--vars", source.pop("vars")] if "vars" in source else []
    settings = Settings(
        events=str(tmp_path / "no-files"), duckdb_path=path, source=source["SEGMART_SOURCE"]
    )
    with environment(source), pytest.raises(DbtCommandError) as raised:
        run_dbt(
            ["run", "--select", "stg_raw_file_ledger", "stg_events_landed", *dbt_vars], settings
        )
    assert "segmart configuration error: " in str(raised.value)
    assert error in str(raised.value)
