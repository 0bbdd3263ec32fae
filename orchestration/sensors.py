"""A sensor on new raw event files: one incremental refresh of the foundation per new batch.

Its cursor is a high-water mark, so it stays a few bytes however many files accumulate: the
newest arrival time seen (a file's inode change time, `RawFile.changed_ns`) and the names of the
files that arrived at exactly that time. A file is new when it arrived later, or at that time
under another name. A file triggers exactly one run however often the sensor looks, and the run
key (a digest of the batch) keeps a retried tick from launching the same batch twice. dbt reads
every file not loaded yet when the run starts, so a batch that grows while its run is queued is
still read once, and a file the sensor did not report (see `new_files`) is loaded by the next
scheduled refresh.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

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
from orchestration.raw_files import RawFile, batch_key, list_raw_files, relative_name
from orchestration.resources import WarehouseResource
from orchestration.schedules import JobTarget, automation_on

SENSOR_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class Cursor:
    """The newest arrival time seen, and the files that arrived at exactly that time."""

    arrived_ns: int = 0
    names: frozenset[str] = frozenset()

    def dumps(self) -> str:
        return json.dumps({"arrived_ns": self.arrived_ns, "names": sorted(self.names)})

    @classmethod
    def loads(cls, text: str | None) -> Cursor | frozenset[str]:
        """The cursor; an earlier sensor's cursor (the list of every file seen) as that set."""
        if not text:
            return cls()
        value = json.loads(text)
        if isinstance(value, list):
            return frozenset(value)
        return cls(int(value["arrived_ns"]), frozenset(value["names"]))


def new_files(
    files: Sequence[RawFile], names: Sequence[str], cursor: Cursor | frozenset[str]
) -> tuple[list[str], Cursor]:
    """The names of the files that arrived after the cursor, and the cursor after them.

    Arrival times only grow (the kernel sets them to the present), so a file not seen yet arrived
    after every file seen, except on a machine whose clock was set back, or for files restored
    with their change times (a backup): the next scheduled refresh loads those."""
    arrivals = [(file.changed_ns, name) for file, name in zip(files, names, strict=True)]
    if isinstance(cursor, frozenset):  # the earlier cursor: every name it had seen
        new = sorted(name for _, name in arrivals if name not in cursor)
    else:
        new = sorted(
            name
            for arrived, name in arrivals
            if arrived > cursor.arrived_ns
            or (arrived == cursor.arrived_ns and name not in cursor.names)
        )
    newest = max((arrived for arrived, _ in arrivals), default=0)
    if isinstance(cursor, Cursor) and cursor.arrived_ns >= newest:
        return new, cursor  # nothing newer (or only deletions): keep the mark
    return new, Cursor(newest, frozenset(name for arrived, name in arrivals if arrived == newest))


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
        names = [relative_name(location, file.path) for file in files]
        seen = Cursor.loads(context.cursor)
        new, cursor = new_files(files, names, seen)
        if not new:
            skip = SkipReason(f"no new event files at {location} ({len(names)} known)")
            # An earlier sensor's cursor is replaced by the mark even when nothing is new.
            return skip if cursor == seen else SensorResult(skip_reason=skip, cursor=cursor.dumps())
        return SensorResult(
            run_requests=[
                RunRequest(
                    run_key=batch_key(new),
                    tags={"segmart/new_files": str(len(new))},
                )
            ],
            cursor=cursor.dumps(),
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
