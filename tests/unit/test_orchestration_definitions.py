"""The Dagster definitions: they load; every dbt model and seed is an asset grouped by layer; each
segment asset carries its registry entry; dbt tests are (blocking) asset checks; every writer is
serialized on the warehouse."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, Definitions
from dagster._core.test_utils import instance_for_test

from orchestration.assets import ACTIVATION_KEY, RAW_EVENTS_KEY, RETRY_POLICY, WAREHOUSE_POOL
from orchestration.definitions import defs
from orchestration.project import PROJECT_DIR, is_stale, manifest_path
from orchestration.resources import dbt_resource
from orchestration.schedules import WAREHOUSE_TAG
from orchestration.translator import dagster_owner
from segmart.registry import load_registry

REGISTRY = load_registry()


@pytest.fixture(scope="module")
def specs():
    return {spec.key: spec for spec in defs.resolve_all_asset_specs()}


@pytest.fixture(scope="module")
def dbt_assets():
    return defs.resolve_assets_def(AssetKey(["marts", "sessions"]))


def test_definitions_load_and_validate():
    Definitions.validate_loadable(defs)
    assert {job.name for job in defs.resolve_all_job_defs()} >= {
        "refresh_foundation",
        "refresh_segments_hourly",
        "refresh_segments_daily",
    }


def test_every_dbt_model_and_seed_is_an_asset_named_like_its_table(specs):
    manifest = json.loads(manifest_path().read_text())
    for node in manifest["nodes"].values():
        if node["resource_type"] in {"model", "seed", "snapshot"}:
            assert AssetKey([node["schema"], node["alias"]]) in specs, node["unique_id"]


def test_assets_are_grouped_by_layer(specs):
    assert specs[AssetKey(["staging", "stg_events"])].group_name == "staging"
    assert specs[AssetKey(["intermediate", "int_identity_map"])].group_name == "intermediate"
    assert specs[AssetKey(["marts", "sessions"])].group_name == "marts"
    assert specs[AssetKey(["segments", "segment_catalog"])].group_name == "segments"
    assert specs[AssetKey(["reports", "segment_funnel"])].group_name == "reports"
    assert specs[AssetKey(["reference", "channel_referrer_hosts"])].group_name == "reference"
    assert {spec.group_name for spec in specs.values()} <= {
        "raw",
        "staging",
        "intermediate",
        "marts",
        "segments",
        "reports",
        "reference",
        "activation",
    }


def test_raw_event_files_are_an_observable_source_upstream_of_staging(specs, dbt_assets):
    assert defs.resolve_assets_def(RAW_EVENTS_KEY).is_observable
    landed = dbt_assets.get_asset_spec(AssetKey(["staging", "stg_events_landed"]))
    assert RAW_EVENTS_KEY in {dep.asset_key for dep in landed.deps}


@pytest.mark.parametrize("segment", list(REGISTRY), ids=lambda s: s.name)
def test_every_segment_asset_carries_its_registry_entry(specs, segment):
    spec = specs[AssetKey(["segments", segment.name])]
    assert spec.group_name == "segments"
    assert list(spec.owners) == [dagster_owner(segment.owner)]
    assert segment.title in spec.description
    assert segment.description.split()[0] in spec.description
    assert segment.use_case in spec.description
    metadata = spec.metadata
    assert metadata["owner"] == segment.owner
    assert metadata["use_case"] == segment.use_case
    assert metadata["grain"] == segment.grain
    assert metadata["refresh"] == segment.refresh
    assert metadata["visibility"] == segment.visibility
    assert metadata["min_members"] == segment.min_members
    assert spec.tags["segmart/refresh"] == segment.refresh
    assert spec.tags["segmart/grain"] == segment.grain
    for tag in segment.tags:
        assert tag in spec.tags


def test_owners_that_are_not_emails_become_teams():
    assert dagster_owner("growth@example.com") == "growth@example.com"
    assert dagster_owner("Growth Team") == "team:Growth-Team"


def test_dbt_tests_are_blocking_checks_on_sessions_and_users(dbt_assets):
    for table in ("sessions", "users"):
        checks = [
            spec for spec in dbt_assets.check_specs if spec.asset_key == AssetKey(["marts", table])
        ]
        assert checks, table
        assert all(spec.blocking for spec in checks)
        assert f"unique_{table}_{'session_id' if table == 'sessions' else 'visitor_id'}" in {
            spec.name for spec in checks
        }


def test_the_warehouse_writer_is_serialized_and_retried(dbt_assets):
    assert dbt_assets.op.name == "segmart_dbt"
    assert dbt_assets.op.pool == WAREHOUSE_POOL
    assert defs.resolve_assets_def(ACTIVATION_KEY).op.pool == WAREHOUSE_POOL
    assert dbt_assets.op.retry_policy == RETRY_POLICY
    for job in defs.jobs:
        assert WAREHOUSE_TAG in job.tags, job.name


def test_instance_settings_allow_one_warehouse_run_at_a_time():
    config = yaml.safe_load((PROJECT_DIR / "orchestration" / "dagster.yaml").read_text())
    with instance_for_test(overrides=config) as instance:
        concurrency = instance.get_concurrency_config()
        assert concurrency.pool_config.default_pool_limit == 1
        assert concurrency.pool_config.pool_granularity.value == "run"
        (limit,) = concurrency.run_queue_config.tag_concurrency_limits
        assert limit["key"] == WAREHOUSE_TAG and limit["limit"] == 1
        assert instance.run_retries_enabled


def test_the_manifest_is_prepared_again_when_the_registry_changes(tmp_path: Path):
    project = tmp_path / "project"
    (project / "segments").mkdir(parents=True)
    entry = project / "segments" / "a.yml"
    entry.write_text("name: a\n")
    manifest = tmp_path / "manifest.json"
    assert is_stale(project, manifest)  # no manifest yet
    manifest.write_text("{}")
    assert not is_stale(project, manifest)
    stamp = manifest.stat().st_mtime_ns + 1_000_000_000
    (project / "segments" / "b.yml").write_text("name: b\n")
    os.utime(project / "segments" / "b.yml", ns=(stamp, stamp))
    assert is_stale(project, manifest)  # a new registry entry


def test_dagster_runs_dbt_as_segmart_dbt_which_tells_its_version_without_importing_dbt():
    from dbt.version import __version__

    executable = dbt_resource().dbt_executable
    assert Path(executable).name == "segmart-dbt"
    # What dagster-dbt does before each run's first command: the first x.y.z of the output.
    shown = subprocess.run([executable, "--version"], capture_output=True, text=True, check=True)
    assert re.search(r"(\d+\.\d+\.\d+)", shown.stdout).group(1) == __version__
    # Anything else is dbt itself.
    parsed = subprocess.run([executable, "--help"], capture_output=True, text=True, check=True)
    assert "Usage: segmart-dbt" in parsed.stdout and "build" in parsed.stdout
