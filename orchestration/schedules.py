"""Jobs and schedules: the foundation (raw -> staging -> intermediate -> marts, and the reference
seeds) hourly, and each segment on its registry `refresh` cadence. Cadences are read from the
segment models' meta in the manifest, which `segmart compile` writes from segments/*.yml: a new
segment, or a changed cadence, moves to the right schedule with no edit here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    define_asset_job,
)
from dagster_dbt import build_dbt_asset_selection

from orchestration.assets import ACTIVATION_KEY

# define_asset_job's return type (not exported by dagster).
JobTarget = Any

# Cron of each registry cadence (UTC). Segments refresh after the foundation's hourly run (:00)
# has had time to finish; daily and weekly ones run at quiet hours.
CADENCE_CRONS: Mapping[str, str] = {
    "hourly": "15 * * * *",
    "daily": "30 2 * * *",
    "weekly": "45 3 * * 1",
}
MARTS_CRON_ENV = "SEGMART_MARTS_CRON"
DEFAULT_MARTS_CRON = "0 * * * *"
AUTOMATION_ENV = "SEGMART_AUTOMATION"  # "on": schedules and the sensor start running
TIMEZONE = "UTC"

# Checks whose failure must keep segments from refreshing on bad data: every segment job runs them
# (dbt orders them before the segments and skips the segments if one fails).
GUARD_ASSETS = (AssetKey(["marts", "sessions"]), AssetKey(["marts", "users"]))

# Every run that writes the warehouse carries this tag; the instance allows one such run at a
# time per value (orchestration/dagster.yaml), as a second lock beside the op pool.
WAREHOUSE_TAG = "segmart/warehouse"


def warehouse_tags(warehouse_id: str) -> dict[str, str]:
    """The tag of runs that write the warehouse (segmart.targets: Target.warehouse_id)."""
    # Tag values are limited to 63 characters: the last part names the warehouse best (a
    # DuckDB file's name, a database).
    return {WAREHOUSE_TAG: os.path.basename(warehouse_id.rstrip("/"))[-63:] or "segmart"}


def automation_on() -> bool:
    return os.environ.get(AUTOMATION_ENV, "").lower() in {"1", "on", "true", "yes"}


def default_status() -> DefaultScheduleStatus:
    return DefaultScheduleStatus.RUNNING if automation_on() else DefaultScheduleStatus.STOPPED


def segment_cadences(manifest: Mapping[str, Any]) -> dict[str, list[str]]:
    """{cadence: [segment names]} of the segment models in the manifest."""
    cadences: dict[str, list[str]] = {}
    for node in manifest.get("nodes", {}).values():
        meta = node.get("config", {}).get("meta") or {}
        if node.get("resource_type") == "model" and "segment" in meta:
            cadences.setdefault(meta["refresh"], []).append(meta["segment"])
    return {cadence: sorted(names) for cadence, names in sorted(cadences.items())}


def foundation_selection(dbt: AssetsDefinition) -> AssetSelection:
    """Everything but the segments and the reports over them: staging, intermediate, marts and
    the reference seeds."""
    return build_dbt_asset_selection(
        [dbt], dbt_select="fqn:*", dbt_exclude="path:models/segments path:models/reports"
    )


def segment_selection(dbt: AssetsDefinition, cadence: str) -> AssetSelection:
    """The segments of one cadence, the shared membership tables over all segments (change feed,
    history, catalog) and the reports over them (models/reports), the delivery of their
    changes, and the checks on sessions and users that guard them."""
    own = build_dbt_asset_selection([dbt], dbt_select=f"tag:refresh_{cadence}")
    shared = build_dbt_asset_selection(
        [dbt], dbt_select="path:models/segments path:models/reports", dbt_exclude="tag:segment"
    )
    activation = AssetSelection.assets(ACTIVATION_KEY)
    return own | shared | activation | AssetSelection.checks_for_assets(*GUARD_ASSETS)


def foundation_job(dbt: AssetsDefinition, tags: Mapping[str, str]) -> JobTarget:
    return define_asset_job(
        "refresh_foundation",
        selection=foundation_selection(dbt),
        description="Incremental refresh of staging, intermediate and marts (sessions, users, "
        "...) from the raw event files not loaded yet.",
        tags=dict(tags),
    )


def segment_job_name(cadence: str) -> str:
    return f"refresh_segments_{cadence}"


def build_jobs_and_schedules(
    dbt: AssetsDefinition, manifest: Mapping[str, Any], tags: Mapping[str, str]
) -> tuple[list[JobTarget], list[ScheduleDefinition]]:
    foundation = foundation_job(dbt, tags)
    jobs = [foundation]
    schedules = [
        ScheduleDefinition(
            name="refresh_foundation_schedule",
            job=foundation,
            cron_schedule=os.environ.get(MARTS_CRON_ENV) or DEFAULT_MARTS_CRON,
            execution_timezone=TIMEZONE,
            default_status=default_status(),
            description="Sessions, users and the other marts, incrementally.",
        )
    ]
    for cadence, names in segment_cadences(manifest).items():
        job = define_asset_job(
            segment_job_name(cadence),
            selection=segment_selection(dbt, cadence),
            description=f"Refresh the {len(names)} {cadence} segment(s) and the membership "
            "tables, after checking sessions and users.",
            tags={**tags, "segmart/refresh": cadence},
        )
        jobs.append(job)
        schedules.append(
            ScheduleDefinition(
                name=f"{segment_job_name(cadence)}_schedule",
                job=job,
                cron_schedule=CADENCE_CRONS[cadence],
                execution_timezone=TIMEZONE,
                default_status=default_status(),
                description=f"{cadence.capitalize()} segments: {', '.join(names)}.",
            )
        )
    return jobs, schedules
