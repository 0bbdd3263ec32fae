"""Each engine as a build sees it (segmart/targets.py): what segmart reads back and locks."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from segmart.settings import Settings
from segmart.targets import (
    DuckDBTarget,
    PostgresTarget,
    ServerSideLoadingTarget,
    SparkTarget,
    target_of,
)

TARGETS = ["duckdb", "postgres", "spark", "snowflake", "bigquery"]


def settings(tmp_path, target: str) -> Settings:
    return Settings(
        events=str(tmp_path / "events"),
        duckdb_path=tmp_path / "w.duckdb",
        target=target,
        spark_dir=tmp_path / "spark",
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("duckdb", DuckDBTarget),
        ("postgres", PostgresTarget),
        ("spark", SparkTarget),
        ("snowflake", ServerSideLoadingTarget),
        ("bigquery", ServerSideLoadingTarget),
    ],
)
def test_each_engine_has_its_target(tmp_path, name, kind):
    assert type(target_of(settings(tmp_path, name))) is kind


def test_the_duckdb_file_is_read_back_and_locked_beside_itself(tmp_path):
    target = target_of(settings(tmp_path, "duckdb"))
    assert target.duckdb_file == tmp_path / "w.duckdb"
    assert target.lock_path == tmp_path / "w.duckdb.refresh.lock"


@pytest.mark.parametrize("name", ["postgres", "spark", "snowflake", "bigquery"])
def test_server_warehouses_are_not_read_back_even_beside_a_stale_duckdb_file(tmp_path, name):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        connection.execute("create table t as select 1 as x")
    target = target_of(settings(tmp_path, name))
    assert target.duckdb_file is None
    assert target.row_counts(["main.t"]) == {}
    assert target.lock_path == tmp_path / f"{name}.refresh.lock"


def test_spark_reads_the_raw_files_in_dbt(tmp_path):
    assert target_of(settings(tmp_path, "spark")).land_raw_events() is None


def test_row_counts_leave_out_relations_not_built(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        connection.execute("create table t as select * from range(3)")
    target = target_of(settings(tmp_path, "duckdb"))
    assert target.row_counts(["main.t", "main.never_built"]) == {"main.t": 3}
    assert target_of(settings(tmp_path / "elsewhere", "duckdb")).row_counts(["main.t"]) == {}


def test_each_warehouse_is_named_by_what_it_is_not_by_the_duckdb_setting(tmp_path, monkeypatch):
    """Runs of one warehouse share a Dagster tag and a dbt run folder: a DuckDB file, a Spark
    folder, a PostgreSQL server and database; never the DuckDB path on another engine."""
    from orchestration.project import run_target_path
    from orchestration.schedules import WAREHOUSE_TAG, warehouse_tags

    monkeypatch.setenv("SEGMART_PG_HOST", "db.internal")
    monkeypatch.setenv("SEGMART_PG_PORT", "6543")
    monkeypatch.setenv("SEGMART_PG_DBNAME", "analytics")
    ids = {name: target_of(settings(tmp_path, name)).warehouse_id for name in TARGETS}
    assert ids == {
        "duckdb": str(tmp_path / "w.duckdb"),
        "postgres": "postgres://db.internal:6543/analytics",
        "spark": str(tmp_path / "spark"),
        "snowflake": "snowflake",
        "bigquery": "bigquery",
    }
    assert warehouse_tags(ids["duckdb"]) == {WAREHOUSE_TAG: "w.duckdb"}
    assert warehouse_tags(ids["postgres"]) == {WAREHOUSE_TAG: "analytics"}
    folders = {run_target_path(settings(tmp_path, name)) for name in TARGETS}
    assert len(folders) == len(TARGETS)
    other_duckdb_path = Settings(
        events="e", duckdb_path=tmp_path / "other.duckdb", target="postgres"
    )
    assert target_of(other_duckdb_path).warehouse_id == ids["postgres"]


@pytest.mark.parametrize("name", ["postgres", "snowflake", "bigquery"])
def test_no_raw_file_is_loaded_when_raw_events_come_from_tables(tmp_path, name):
    """dbt reads raw event tables itself (docs/sources.md): no loader runs, not even one that
    would fail on a location without files."""
    tables = dataclasses.replace(settings(tmp_path, name), source="segment_warehouse")
    assert target_of(tables).land_raw_events() is None
    assert Settings.from_env({"SEGMART_SOURCE": " json_table "}).source == "json_table"
    assert Settings.from_env({}).as_env()["SEGMART_SOURCE"] == "files"


def test_dagster_runs_and_the_file_sensor_keep_the_source(tmp_path):
    from dagster import build_sensor_context

    from orchestration.definitions import defs
    from orchestration.resources import WarehouseResource

    tables = dataclasses.replace(settings(tmp_path, "duckdb"), source="json_table")
    resource = WarehouseResource.from_settings(tables)
    assert resource.settings.as_env()["SEGMART_SOURCE"] == "json_table"
    sensor = defs.resolve_sensor_def("new_raw_event_files")
    tick = sensor.evaluate_tick(build_sensor_context(resources={"warehouse": resource}))
    assert tick.run_requests == []
    assert "raw events come from tables (SEGMART_SOURCE=json_table)" in str(tick.skip_message)


def test_observing_raw_events_from_tables_names_the_source(tmp_path):
    from orchestration.assets import _observe_raw_event_files
    from orchestration.resources import WarehouseResource

    tables = dataclasses.replace(settings(tmp_path, "duckdb"), source="segment_warehouse")
    observed = _observe_raw_event_files(WarehouseResource.from_settings(tables))
    assert observed.metadata == {"source": "segment_warehouse"}
