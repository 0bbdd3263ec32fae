"""One writer per warehouse, end to end through Dagster's run queue: runs are submitted to a real
instance with the project's instance settings (orchestration/dagster.yaml) and dequeued by the
queue daemon's own iteration, called here instead of in a daemon process. The run launcher only
records what it was asked to launch (no dbt runs), so each test takes seconds.

- a scheduled foundation refresh and a segment refresh, queued together, start one after the
  other: the second only once the first has ended;
- a segment materialized by hand (the implicit asset job, which carries no warehouse tag) still
  waits for the `segmart_warehouse` pool while a refresh is in progress."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml
from dagster import AssetKey, DagsterInstance, DagsterRunStatus
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import instance_for_test
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from orchestration.assets import WAREHOUSE_POOL
from orchestration.definitions import defs
from orchestration.project import PROJECT_DIR
from orchestration.schedules import WAREHOUSE_TAG

LOCATION = "segmart"
ASSET_JOB = "__ASSET_JOB"  # what the UI's "Materialize" button runs


@dataclass
class Queue:
    instance: DagsterInstance
    context: WorkspaceProcessContext

    def submit(self, job_name: str, asset_selection: set[AssetKey] | None = None) -> str:
        """Submit a run of the job as the UI, a schedule or the sensor would: it is QUEUED."""
        request = self.context.create_request_context()
        remote = (
            request.get_code_location(LOCATION)
            .get_repository("__repository__")
            .get_full_job(job_name)
        )
        job = defs.resolve_job_def(job_name)
        run = self.instance.create_run_for_job(
            job_def=job,
            remote_job_origin=remote.get_remote_origin(),
            job_code_origin=remote.get_python_origin(),
            tags=job.tags,
            asset_selection=frozenset(asset_selection) if asset_selection else None,
            status=DagsterRunStatus.NOT_STARTED,
        )
        self.instance.submit_run(run.run_id, request)
        return run.run_id

    def tick(self) -> None:
        """One pass of the queue daemon: launches what the limits allow."""
        list(QueuedRunCoordinatorDaemon(interval_seconds=1).run_iteration(self.context))

    def status(self, run_id: str) -> str:
        return self.instance.get_run_by_id(run_id).status.value

    def end(self, run_id: str) -> None:
        self.instance.report_run_failed(self.instance.get_run_by_id(run_id))


@pytest.fixture
def queue() -> Iterator[Queue]:
    settings = yaml.safe_load((PROJECT_DIR / "orchestration" / "dagster.yaml").read_text())
    # Record launches instead of starting run processes.
    settings["run_launcher"] = {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"}
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(
            module_name="orchestration.definitions", working_directory=str(PROJECT_DIR)
        ),
        location_name=LOCATION,
    )
    with (
        instance_for_test(overrides=settings) as instance,
        WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget([origin])) as context,
    ):
        yield Queue(instance, context)


def test_two_warehouse_refreshes_run_one_after_the_other(queue):
    foundation = queue.submit("refresh_foundation")
    segments = queue.submit("refresh_segments_hourly")
    assert queue.status(foundation) == queue.status(segments) == "QUEUED"

    queue.tick()
    assert queue.status(foundation) == "STARTING"
    assert queue.status(segments) == "QUEUED"  # not launched, not failed: waiting

    queue.tick()  # still in progress: still waiting
    assert queue.status(segments) == "QUEUED"

    queue.end(foundation)
    queue.tick()
    assert queue.status(segments) == "STARTING"


def test_a_segment_materialized_by_hand_waits_for_the_warehouse_pool(queue):
    refresh = queue.submit("refresh_foundation")
    queue.tick()
    assert queue.status(refresh) == "STARTING"

    by_hand = queue.submit(ASSET_JOB, {AssetKey(["segments", "action"])})
    run = queue.instance.get_run_by_id(by_hand)
    assert WAREHOUSE_TAG not in run.tags  # only the pool can hold it back
    assert run.run_op_concurrency.all_pools == {WAREHOUSE_POOL}
    queue.tick()
    assert queue.status(by_hand) == "QUEUED"

    queue.end(refresh)
    queue.tick()
    assert queue.status(by_hand) == "STARTING"
