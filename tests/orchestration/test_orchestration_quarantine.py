"""In Dagster, a quarantined raw file is a failed (warning) asset check on
stg_raw_files_quarantined, while the run loads the other files and succeeds
(docs/rules.md, "Raw files")."""

from __future__ import annotations

import shutil

import duckdb
from dagster import AssetCheckSeverity, AssetKey, DagsterInstance
from rules_support import message

from orchestration.definitions import build_definitions
from orchestration.project import run_target_path
from segmart.settings import Settings

from conftest import write_events


def test_a_quarantined_file_fails_its_asset_check_and_the_rest_loads(tmp_path):
    events = tmp_path / "events"
    write_events(events / "good.jsonl", [message("good", anonymous_id="anon")])
    (events / "corrupt.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"not gzip data" * 20)
    settings = Settings(events=str(events), duckdb_path=tmp_path / "segmart.duckdb")
    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def("new_raw_event_files")
    try:
        result = defs.resolve_job_def(sensor.job_name).execute_in_process(
            instance=DagsterInstance.ephemeral(), raise_on_error=False
        )
    finally:
        shutil.rmtree(run_target_path(settings), ignore_errors=True)

    assert result.success
    (check,) = [
        check
        for check in result.get_asset_check_evaluations()
        if check.check_name == "assert_no_quarantined_raw_files"
    ]
    assert check.asset_key == AssetKey(["staging", "stg_raw_files_quarantined"])
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as connection:
        landed = connection.execute(
            "select distinct source_file from staging.stg_events_landed"
        ).fetchall()
    assert landed == [(str(events / "good.jsonl"),)]
