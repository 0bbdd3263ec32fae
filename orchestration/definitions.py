"""segmart's one Dagster `Definitions` object.

    dagster dev -m orchestration.definitions      (scripts/ui.sh does this with the project's
                                                   instance settings)

Loading it compiles the segment registry and parses the dbt project when either changed
(orchestration/project.py), so the assets always match segments/*.yml.
"""

from __future__ import annotations

import json

from dagster import Definitions, in_process_executor

from orchestration.assets import activation_deliveries, build_dbt_assets, raw_event_files
from orchestration.project import dbt_project, manifest_path, prepare_on_import
from orchestration.resources import ActivationResource, WarehouseResource, dbt_resource
from orchestration.schedules import build_jobs_and_schedules, warehouse_tags
from orchestration.sensors import build_raw_files_sensor
from segmart.settings import Settings
from segmart.targets import target_of


def build_definitions(
    settings: Settings | None = None, activation: ActivationResource | None = None
) -> Definitions:
    settings = settings or Settings.from_env()
    manifest = json.loads(manifest_path().read_text())
    dbt_assets_def = build_dbt_assets(manifest_path(), project=dbt_project())
    jobs, schedules = build_jobs_and_schedules(
        dbt_assets_def, manifest, warehouse_tags(target_of(settings).warehouse_id)
    )
    return Definitions(
        assets=[raw_event_files, dbt_assets_def, activation_deliveries],
        jobs=jobs,
        schedules=schedules,
        sensors=[build_raw_files_sensor(jobs[0])],
        resources={
            "dbt": dbt_resource(settings),
            "warehouse": WarehouseResource.from_settings(settings),
            "activation": activation or ActivationResource.from_env(),
        },
        # Every job's steps run one after the other (the dbt step, then activation), so a step
        # process of their own (the default multiprocess executor) buys nothing and costs each
        # run a process start and a second load of these definitions (docs/benchmarks.md).
        executor=in_process_executor,
    )


prepare_on_import()
defs = build_definitions()
