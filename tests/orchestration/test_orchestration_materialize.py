"""Real runs of the Dagster definitions, in-process, on a small temporary warehouse (3,000 sample
events): `segmart demo` materializes everything through Dagster, with row counts; the new-files
sensor's run loads a new batch incrementally; a failed check on sessions keeps the segments at
their last good version.

The tests share one warehouse and run in file order (each step starts where the last ended)."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, build_sensor_context

from orchestration.definitions import build_definitions
from orchestration.project import run_target_path
from orchestration.resources import WarehouseResource
from orchestration.sensors import SETTLE_ENV
from segmart import cli
from segmart.registry import load_registry
from segmart.sample_data import GeneratorConfig, generate
from segmart.serving import serving_path, snapshot_path
from segmart.settings import Settings

AS_OF = "2026-10-06T00:00:00"  # the end of the sample days: segment windows see the events


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("orchestration")
    generate(root / "events", GeneratorConfig(events=3000, days=5, seed=7, start=date(2026, 10, 1)))
    settings = Settings(events=str(root / "events"), duckdb_path=root / "segmart.duckdb")
    saved = os.environ.get("SEGMART_AS_OF")
    os.environ["SEGMART_AS_OF"] = AS_OF
    yield settings
    if saved is None:
        os.environ.pop("SEGMART_AS_OF", None)
    else:
        os.environ["SEGMART_AS_OF"] = saved
    shutil.rmtree(run_target_path(settings), ignore_errors=True)


@pytest.fixture(scope="module")
def defs(warehouse):
    return build_definitions(warehouse)


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


# Which refresh the serving file holds, and its sessions.
PUBLISHED_SQL = (
    "select published_at, (select count(*) from marts.sessions) from serving.publication"
)


def served(settings: Settings, sql: str) -> list[tuple]:
    """A query on the serving file BI tools read (published after each successful build)."""
    with duckdb.connect(str(serving_path(settings, environ={})), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def materializations(result) -> dict[AssetKey, dict]:
    found = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        found[materialization.asset_key] = materialization.metadata
    return found


def test_segmart_demo_materializes_every_asset_through_dagster(
    warehouse, tmp_path_factory, monkeypatch, capsys
):
    """The README's main command: every asset and check in one Dagster run, recorded in the
    instance the UI reads, then where the results are."""
    home = tmp_path_factory.mktemp("dagster_home")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("SEGMART_EVENTS", warehouse.events)  # these events, no sample data
    monkeypatch.setenv("SEGMART_DUCKDB", str(warehouse.duckdb_path))

    assert cli.main(["demo"]) == 0

    out = capsys.readouterr().out
    run_id = re.search(r"Dagster run (\S+): (\d+) assets materialized, (\d+) checks passed", out)
    assert run_id, out
    sessions = query(warehouse, "select count(*) from marts.sessions")[0][0]
    assert sessions > 100
    # What it points readers at: the files the build published (a refresh never waits for its
    # readers): the serving file for BI tools, the whole snapshot for segmart's own commands.
    assert f"published {serving_path(warehouse, environ={})} for BI tools" in out
    assert f"DuckDB warehouse: {snapshot_path(warehouse)}" in out
    assert re.search(rf"marts\.sessions +{sessions:,} rows", out)
    assert 'segmart sql "select channel' in out and "Saved segments" in out

    with DagsterInstance.from_config(str(home)) as instance:  # what the UI shows
        run = instance.get_run_by_id(run_id.group(1))
        assert run.is_success
        built = recorded_materializations(instance, run.run_id)
        checks = [
            record.dagster_event.event_specific_data
            for record in instance.all_logs(
                run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
            )
        ]
    assert len(built) == int(run_id.group(2))
    assert built[AssetKey(["marts", "sessions"])]["dagster/row_count"].value == sessions
    landed = query(warehouse, "select count(*) from staging.stg_events_landed")[0][0]
    assert landed >= 3000
    for segment in load_registry():
        key = AssetKey(["segments", segment.name])
        members = query(warehouse, f"select count(*) from segments.{segment.name}")[0][0]
        assert built[key]["dagster/row_count"].value == members, segment.name
    catalog = query(warehouse, "select count(*) from segments.segment_catalog")[0][0]
    assert catalog == len(load_registry())
    assert len(checks) == int(run_id.group(3)) and all(check.passed for check in checks)
    assert served(warehouse, "select count(*) from marts.sessions")[0][0] == sessions


def recorded_materializations(instance: DagsterInstance, run_id: str) -> dict[AssetKey, dict]:
    found = {}
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        materialization = record.dagster_event.event_specific_data.materialization
        found[materialization.asset_key] = materialization.metadata
    return found


def test_the_sensor_run_loads_a_new_batch_incrementally(warehouse, defs, monkeypatch):
    monkeypatch.setenv(SETTLE_ENV, "0")  # the new batch is complete when the sensor looks
    sensor = defs.resolve_sensor_def("new_raw_event_files")
    resources = {"warehouse": WarehouseResource.from_settings(warehouse)}
    first = sensor.evaluate_tick(build_sensor_context(cursor=None, resources=resources))
    cursor = first.cursor
    before = query(warehouse, "select count(*) from staging.stg_events_landed")[0][0]

    generate(
        Path(warehouse.events) / "late",
        GeneratorConfig(events=300, days=1, seed=8, start=date(2026, 10, 6)),
    )
    tick = sensor.evaluate_tick(build_sensor_context(cursor=cursor, resources=resources))
    (request,) = tick.run_requests
    result = defs.resolve_job_def(sensor.job_name).execute_in_process(
        instance=DagsterInstance.ephemeral(), tags=request.tags
    )
    assert result.success
    after = query(warehouse, "select count(*) from staging.stg_events_landed")[0][0]
    assert after - before >= 300
    built = materializations(result)
    assert AssetKey(["marts", "sessions"]) in built
    assert not [key for key in built if key.path[0] == "segments"]  # segments keep their cadence
    events = query(warehouse, "select count(*) from marts.events")[0][0]
    assert served(warehouse, "select count(*) from marts.events")[0][0] == events
    again = sensor.evaluate_tick(build_sensor_context(cursor=tick.cursor, resources=resources))
    assert again.run_requests == []


def test_a_failed_check_on_sessions_keeps_segments_at_their_last_good_version(warehouse, defs):
    segment = next(s for s in load_registry() if s.refresh == "hourly")
    table = f"segments.{segment.name}"
    before = query(warehouse, f"select count(*), max(refreshed_at) from {table}")
    changes = query(warehouse, "select count(*) from segments.segment_membership_changes")
    published = served(warehouse, PUBLISHED_SQL)
    with duckdb.connect(str(warehouse.duckdb_path)) as connection:  # bad data: a duplicate session
        connection.execute("insert into marts.sessions select * from marts.sessions limit 1")

    result = defs.resolve_job_def("refresh_segments_hourly").execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False
    )

    assert not result.success
    failed = [check for check in result.get_asset_check_evaluations() if not check.passed]
    assert AssetKey(["marts", "sessions"]) in {check.asset_key for check in failed}
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert "unique_sessions_session_id" in message
    assert f"segments/{segment.name}" in message and "last good version" in message
    assert AssetKey(["segments", segment.name]) not in materializations(result)
    assert query(warehouse, f"select count(*), max(refreshed_at) from {table}") == before
    assert query(warehouse, "select count(*) from segments.segment_membership_changes") == changes
    # Nothing was published: BI readers still see the last good refresh, without the duplicate.
    assert served(warehouse, PUBLISHED_SQL) == published
