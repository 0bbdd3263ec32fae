"""Dagster runs fail at once on a wrong setting, naming it, and are not retried (a retry cannot
fix a setting): SEGMART_EVENTS naming nothing, and a deployment (SEGMART_DAGSTER_PREPARE=0)
whose segment models were not compiled from its registry."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance

from orchestration.project import (
    PREPARE_ENV,
    StaleGeneratedModels,
    prepare_on_import,
    require_compiled,
)
from segmart import cli
from segmart.compiler import generated_files, write_generated
from segmart.project_copy import copy_project
from segmart.registry import load_registry
from segmart.settings import PROJECT_DIR


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


def compiled_copy(destination: Path) -> Path:
    """A copy of the project and its registry, compiled as `segmart compile` would there."""
    project = copy_project(destination)
    shutil.copytree(PROJECT_DIR / "segments", project / "segments")
    write_generated(generated_files(load_registry(project / "segments")), project)
    return project


def test_a_deployment_refuses_segment_models_not_compiled_from_its_registry(tmp_path, monkeypatch):
    project = compiled_copy(tmp_path / "project")
    monkeypatch.setenv(PREPARE_ENV, "0")
    require_compiled(project)  # compiled: passes

    registry_file = project / "segments" / "desktop.yml"
    registry_file.write_text(registry_file.read_text().replace("equals: desktop", "equals: mobile"))
    with pytest.raises(StaleGeneratedModels) as error:
        prepare_on_import(project)
    message = str(error.value)
    assert "models/segments/generated/seg_desktop.sql: out of date with the registry" in message
    assert "run `segmart compile`" in message
    assert "= 'desktop'" in (project / "models/segments/generated/seg_desktop.sql").read_text()


def test_the_deployment_check_names_a_generated_model_left_without_its_registry_file(
    tmp_path: Path, monkeypatch
):
    project = compiled_copy(tmp_path / "project")
    (project / "segments" / "mobile.yml").unlink()
    monkeypatch.setenv(PREPARE_ENV, "0")
    with pytest.raises(StaleGeneratedModels, match=r"seg_mobile\.sql: generated for an entry no"):
        prepare_on_import(project)
