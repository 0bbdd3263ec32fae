"""Schedules follow the registry: each segment refreshes on its own `refresh` cadence, in the
job of that cadence only, guarded by the checks on sessions and users; the foundation refreshes
hourly. A new raw file fires the sensor once."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from dagster import AssetKey, SensorResult, SkipReason, build_sensor_context

from orchestration.definitions import defs
from orchestration.raw_files import list_raw_files
from orchestration.resources import WarehouseResource
from orchestration.schedules import (
    CADENCE_CRONS,
    DEFAULT_MARTS_CRON,
    GUARD_ASSETS,
    segment_cadences,
    segment_job_name,
)
from orchestration.sensors import SETTLE_ENV, Cursor, new_files, settle_seconds
from segmart.registry import load_registry

REGISTRY = load_registry()


def _job_assets(job_name: str) -> set[AssetKey]:
    return set(defs.resolve_job_def(job_name).asset_layer.executable_asset_keys)


def _schedule_of(job_name: str):
    (schedule,) = [s for s in defs.schedules if s.job_name == job_name]
    return schedule


@pytest.mark.parametrize("segment", list(REGISTRY), ids=lambda s: s.name)
def test_each_segment_refreshes_on_its_registry_cadence_only(segment):
    key = AssetKey(["segments", segment.name])
    schedule = _schedule_of(segment_job_name(segment.refresh))
    assert schedule.cron_schedule == CADENCE_CRONS[segment.refresh]
    assert schedule.execution_timezone == "UTC"
    assert key in _job_assets(segment_job_name(segment.refresh))
    for other in set(CADENCE_CRONS) - {segment.refresh}:
        if any(s.refresh == other for s in REGISTRY):
            assert key not in _job_assets(segment_job_name(other))


def test_there_is_one_segment_schedule_per_cadence_in_use():
    cadences = {s.refresh for s in REGISTRY}
    names = {s.name for s in defs.schedules}
    assert names == {
        "refresh_foundation_schedule",
        *(f"{segment_job_name(cadence)}_schedule" for cadence in cadences),
    }


def test_segment_jobs_run_the_checks_on_sessions_and_users_but_do_not_rebuild_them():
    job = defs.resolve_job_def(segment_job_name("hourly"))
    assets = set(job.asset_layer.executable_asset_keys)
    checks = {check.asset_key for check in job.asset_layer.asset_graph.asset_check_keys}
    for guarded in GUARD_ASSETS:
        assert guarded not in assets
        assert guarded in checks
    assert AssetKey(["staging", "stg_events"]) not in checks  # only the guards are re-checked
    assert AssetKey(["segments", "segment_membership_changes"]) in assets
    assert AssetKey(["segments", "segment_catalog"]) in assets
    assert AssetKey(["activation", "deliveries"]) in assets  # changes go out after each refresh
    assert AssetKey(["reports", "segment_daily_metrics"]) in assets  # reports follow segments


def test_the_foundation_refreshes_hourly_without_segments():
    schedule = _schedule_of("refresh_foundation")
    assert schedule.cron_schedule == DEFAULT_MARTS_CRON == "0 * * * *"
    assets = _job_assets("refresh_foundation")
    assert AssetKey(["marts", "sessions"]) in assets
    assert AssetKey(["reference", "channel_referrer_hosts"]) in assets
    assert not {key for key in assets if key.path[0] in {"segments", "reports"}}


def test_cadences_are_read_from_the_segment_models_meta():
    def node(name, refresh):
        meta = {"segment": name, "refresh": refresh}
        return {"resource_type": "model", "config": {"meta": meta}}

    manifest = {
        "nodes": {
            "model.segmart.seg_a": node("a", "weekly"),
            "model.segmart.seg_b": node("b", "hourly"),
            "model.segmart.seg_c": node("c", "weekly"),
            "model.segmart.sessions": {"resource_type": "model", "config": {"meta": {}}},
        }
    }
    assert segment_cadences(manifest) == {"hourly": ["b"], "weekly": ["a", "c"]}


# --- the new-files sensor ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_settle_period(monkeypatch):
    """The sensor tests below write a file and tick at once: no settle period unless a test sets
    one."""
    monkeypatch.setenv(SETTLE_ENV, "0")


def _tick(events: Path, cursor: str | None):
    sensor = defs.resolve_sensor_def("new_raw_event_files")
    warehouse = WarehouseResource(events=str(events), duckdb_path=str(events.parent / "w.duckdb"))
    context = build_sensor_context(cursor=cursor, resources={"warehouse": warehouse})
    return sensor.evaluate_tick(context)


def _write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"type": "track"}\n')


def test_the_sensor_fires_once_per_new_file(tmp_path: Path):
    events = tmp_path / "events"
    _write(events / "2026-10-01.jsonl")
    _write(events / "notes.txt")  # not an event file: ignored

    first = _tick(events, None)
    assert len(first.run_requests) == 1
    cursor = first.cursor
    assert json.loads(cursor)["names"] == ["2026-10-01.jsonl"]

    again = _tick(events, cursor)  # nothing new: no run, cursor unchanged
    assert again.run_requests == [] and again.skip_message
    assert again.cursor in (None, cursor)

    _write(events / "more" / "2026-10-02.jsonl.gz")
    _write(events / "2026-10-03.parquet")
    second = _tick(events, cursor)
    assert len(second.run_requests) == 1  # one run for the whole batch
    assert second.run_requests[0].run_key != first.run_requests[0].run_key
    assert second.run_requests[0].tags["segmart/new_files"] == "2"
    # The cursor keeps the newest arrival only (these two may share a clock tick).
    assert set(json.loads(second.cursor)["names"]) <= {
        "2026-10-03.parquet",
        "more/2026-10-02.jsonl.gz",
    }
    assert _tick(events, second.cursor).run_requests == []


def test_the_sensor_cursor_stays_small_however_many_files_arrive(tmp_path: Path):
    events = tmp_path / "events"
    cursor = None
    for day in range(1, 13):
        name = f"2026-10-{day:02d}.jsonl"
        _write(events / name)
        tick = _tick(events, cursor)
        assert len(tick.run_requests) == 1, name  # each file once
        assert tick.run_requests[0].tags["segmart/new_files"] == "1"
        cursor = tick.cursor
        assert json.loads(cursor)["names"] == [name]
        time.sleep(0.01)  # the next file arrives at a later clock tick
    assert len(cursor) < 100
    assert _tick(events, cursor).run_requests == []


def test_a_file_copied_in_with_an_old_modification_time_is_new(tmp_path: Path):
    events = tmp_path / "events"
    _write(events / "2026-10-02.jsonl")
    cursor = _tick(events, None).cursor
    time.sleep(0.01)
    _write(events / "2026-10-01.jsonl")
    os.utime(events / "2026-10-01.jsonl", (1_700_000_000, 1_700_000_000))  # as `cp -p` leaves it
    (request,) = _tick(events, cursor).run_requests
    assert request.tags["segmart/new_files"] == "1"


def test_the_cursor_of_the_earlier_sensor_is_read_then_replaced(tmp_path: Path):
    events = tmp_path / "events"
    _write(events / "a.jsonl")
    _write(events / "b.jsonl")
    earlier = json.dumps(["a.jsonl"])  # the earlier sensor kept every name it had seen
    tick = _tick(events, earlier)
    (request,) = tick.run_requests
    assert request.tags["segmart/new_files"] == "1"  # b only
    assert set(json.loads(tick.cursor)) == {"arrived_ns", "names"}
    assert _tick(events, tick.cursor).run_requests == []


def test_the_sensor_records_an_observation_of_the_raw_files(tmp_path: Path):
    events = tmp_path / "events"
    _write(events / "a.jsonl")
    sensor = defs.resolve_sensor_def("new_raw_event_files")
    warehouse = WarehouseResource(events=str(events), duckdb_path=str(tmp_path / "w.duckdb"))
    result = sensor(build_sensor_context(resources={"warehouse": warehouse}))
    assert isinstance(result, SensorResult)
    (observation,) = result.asset_events
    assert observation.asset_key == AssetKey(["raw_events", "files"])
    assert observation.metadata["new_files"].value == 1


def test_the_sensor_skips_when_the_location_is_empty(tmp_path: Path):
    sensor = defs.resolve_sensor_def("new_raw_event_files")
    warehouse = WarehouseResource(events=str(tmp_path / "nothing"), duckdb_path="w.duckdb")
    result = sensor(build_sensor_context(resources={"warehouse": warehouse}))
    assert isinstance(result, SkipReason)


SETTLE_NS = 60 * 1_000_000_000


def test_a_file_is_reported_only_once_it_has_gone_unwritten_for_the_settle_period(tmp_path):
    events = tmp_path / "events"
    _write(events / "a.jsonl")
    (file,) = list_raw_files(str(events))
    written = file.changed_ns

    early, cursor = new_files(
        [file], ["a.jsonl"], Cursor(), now_ns=written + SETTLE_NS - 1, settle_ns=SETTLE_NS
    )
    assert early == [] and cursor == Cursor()  # the cursor does not pass an unsettled file
    settled, cursor = new_files(
        [file], ["a.jsonl"], Cursor(), now_ns=written + SETTLE_NS, settle_ns=SETTLE_NS
    )
    assert settled == ["a.jsonl"] and cursor.arrived_ns == written


def test_a_file_still_being_written_waits_while_a_settled_one_is_reported(tmp_path):
    events = tmp_path / "events"
    _write(events / "a.jsonl")
    time.sleep(0.01)
    _write(events / "b.jsonl")
    a, b = list_raw_files(str(events))
    names = ["a.jsonl", "b.jsonl"]
    first, cursor = new_files(
        [a, b], names, Cursor(), now_ns=a.changed_ns + SETTLE_NS, settle_ns=SETTLE_NS
    )
    assert first == ["a.jsonl"]
    # b grows, so its change time moves on: it is reported once that has settled, and only then.
    time.sleep(0.01)
    with (events / "b.jsonl").open("a") as handle:
        handle.write('{"type": "page"}\n')
    a, b = list_raw_files(str(events))
    assert b.changed_ns > cursor.arrived_ns
    waiting, same = new_files(
        [a, b], names, cursor, now_ns=b.changed_ns + SETTLE_NS - 1, settle_ns=SETTLE_NS
    )
    assert waiting == [] and same == cursor
    later, _ = new_files(
        [a, b], names, cursor, now_ns=b.changed_ns + SETTLE_NS, settle_ns=SETTLE_NS
    )
    assert later == ["b.jsonl"]


def test_the_sensor_launches_no_run_on_a_file_written_within_the_settle_period(
    tmp_path, monkeypatch
):
    monkeypatch.setenv(SETTLE_ENV, "3600")
    events = tmp_path / "events"
    _write(events / "a.jsonl")
    tick = _tick(events, None)
    assert tick.run_requests == [] and tick.skip_message


def test_the_settle_period_must_be_a_number_of_seconds():
    assert settle_seconds({}) == 60
    assert settle_seconds({SETTLE_ENV: "2.5"}) == 2.5
    with pytest.raises(ValueError, match=SETTLE_ENV):
        settle_seconds({SETTLE_ENV: "soon"})
    with pytest.raises(ValueError, match=SETTLE_ENV):
        settle_seconds({SETTLE_ENV: "-1"})
