"""A sensor on new raw event files: one incremental refresh of the foundation per new batch.

Its cursor is the set of files already handed to a refresh (names relative to SEGMART_EVENTS),
so a file triggers exactly one run however often the sensor looks, and the run key (a digest of
the batch) keeps a retried tick from launching the same batch twice. dbt reads every file not
loaded yet when the run starts, so a batch that grows while its run is queued is still read once.
"""

import json

from dagster import (
    AssetObservation,
    DefaultSensorStatus,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from orchestration.assets import RAW_EVENTS_KEY
from orchestration.raw_files import batch_key, list_raw_files, relative_name
from orchestration.resources import WarehouseResource
from orchestration.schedules import JobTarget, automation_on

SENSOR_INTERVAL_SECONDS = 60


def build_raw_files_sensor(job: JobTarget):
    @sensor(
        name="new_raw_event_files",
        job=job,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING
        if automation_on()
        else DefaultSensorStatus.STOPPED,
        description="Refresh the foundation incrementally when new raw event files arrive.",
    )
    def new_raw_event_files(context: SensorEvaluationContext, warehouse: WarehouseResource):
        location = warehouse.events
        files = list_raw_files(location)
        names = {relative_name(location, file.path) for file in files}
        seen = set(json.loads(context.cursor)) if context.cursor else set()
        new = sorted(names - seen)
        if not new:
            return SkipReason(f"no new event files at {location} ({len(names)} known)")
        # Keep only files that still exist: the cursor does not grow with deleted files.
        cursor = json.dumps(sorted(names))
        return SensorResult(
            run_requests=[
                RunRequest(
                    run_key=batch_key(new),
                    tags={"segmart/new_files": str(len(new))},
                )
            ],
            cursor=cursor,
            asset_events=[
                AssetObservation(
                    asset_key=RAW_EVENTS_KEY,
                    metadata={
                        "location": MetadataValue.path(location),
                        "files": len(names),
                        "new_files": len(new),
                        "first_new_files": MetadataValue.json(new[:20]),
                    },
                )
            ],
        )

    return new_raw_event_files
