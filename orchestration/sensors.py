"""A sensor on new raw event files: one incremental refresh of the foundation per new batch.

Its cursor is a high-water mark, so it stays a few bytes however many files accumulate: the
newest arrival time seen (a file's inode change time, `RawFile.changed_ns`) and the names of the
files that arrived at exactly that time. A file is new when it arrived later, or at that time
under another name. A file triggers exactly one run however often the sensor looks, and the run
key (a digest of the batch) keeps a retried tick from launching the same batch twice. dbt reads
every file not loaded yet when the run starts, so a batch that grows while its run is queued is
still read once, and a file the sensor did not report (see `new_files`) is loaded by the next
scheduled refresh.

A file is reported only once it has settled: nothing written to it (its change time) for
SEGMART_SENSOR_SETTLE_SECONDS (default 60), so a run does not start on a file still being
written. A file that changes after it was loaded is refused by the ledger (docs/rules.md).
"""

from __future__ import annotations

import json
import os
import time
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
from segmart.settings import FILES_SOURCE

SENSOR_INTERVAL_SECONDS = 60
SETTLE_ENV = "SEGMART_SENSOR_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 60


def settle_seconds(environ: dict[str, str] | None = None) -> float:
    """How long a file must go unwritten before the sensor reports it (SETTLE_ENV)."""
    text = (os.environ if environ is None else environ).get(SETTLE_ENV, "")
    try:
        seconds = float(text) if text.strip() else DEFAULT_SETTLE_SECONDS
    except ValueError:
        raise ValueError(f"{SETTLE_ENV} must be a number of seconds, not {text!r}") from None
    if seconds < 0:
        raise ValueError(f"{SETTLE_ENV} must not be negative, not {text!r}")
    return seconds


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
    files: Sequence[RawFile],
    names: Sequence[str],
    cursor: Cursor | frozenset[str],
    *,
    now_ns: int | None = None,
    settle_ns: int = 0,
) -> tuple[list[str], Cursor]:
    """The names of the settled files that arrived after the cursor, and the cursor after them.

    A file has settled when its last change (RawFile.changed_ns) is at least settle_ns before
    now_ns (default: the present); an unsettled file is left for a later tick, and the cursor
    does not pass it. Arrival times only grow (the kernel sets them to the present), so a file
    not seen yet arrived after every file seen, except on a machine whose clock was set back, or
    for files restored with their change times (a backup): the next scheduled refresh loads
    those."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    arrivals = [
        (file.changed_ns, name)
        for file, name in zip(files, names, strict=True)
        if file.changed_ns <= now_ns - settle_ns
    ]
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
        if warehouse.source != FILES_SOURCE:
            return SkipReason(
                f"raw events come from tables (SEGMART_SOURCE={warehouse.source}): the scheduled"
                " refreshes land their new rows"
            )
        location = warehouse.events
        files = list_raw_files(location)
        names = [relative_name(location, file.path) for file in files]
        seen = Cursor.loads(context.cursor)
        settle_ns = int(settle_seconds() * 1_000_000_000)
        new, cursor = new_files(files, names, seen, settle_ns=settle_ns)
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
