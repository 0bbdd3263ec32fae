"""Dagster runs fail at once on a wrong setting, naming it, and are not retried (a retry cannot
fix a setting): SEGMART_EVENTS naming nothing."""

from __future__ import annotations

import re

from dagster import DagsterEventType, DagsterInstance

from segmart import cli


def test_segmart_demo_on_a_location_that_does_not_exist_fails_without_retries(
    tmp_path, monkeypatch, capsys
):
    home = tmp_path / "dagster_home"
    nowhere = tmp_path / "events-typo"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("SEGMART_EVENTS", str(nowhere))
    monkeypatch.setenv("SEGMART_DUCKDB", str(tmp_path / "segmart.duckdb"))
    monkeypatch.delenv("SEGMART_ALLOW_EMPTY_EVENTS", raising=False)

    assert cli.main(["demo"]) == 1

    err = capsys.readouterr().err
    assert f"no raw event file at SEGMART_EVENTS={nowhere}" in err
    run_id = re.search(r"Dagster run (\S+) failed", err).group(1)
    with DagsterInstance.from_config(str(home)) as instance:
        retries = instance.all_logs(run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY)
        failures = instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    assert retries == [] and len(failures) == 1
