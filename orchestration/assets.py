"""The assets: every dbt model and seed (with dbt tests as asset checks), and the raw event files
as an observable source."""

import json
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    Backoff,
    BetaWarning,
    Config,
    DataVersion,
    Failure,
    Jitter,
    MaterializeResult,
    MetadataValue,
    ObserveResult,
    Output,
    RetryPolicy,
    asset,
    observable_source_asset,
)
from dagster_dbt import DbtCliResource, dbt_assets
from pydantic import Field

from orchestration.project import run_target_path
from orchestration.raw_files import batch_key, list_raw_files
from orchestration.resources import ActivationResource, WarehouseResource
from orchestration.translator import SOURCES_GROUP, SegmartTranslator
from segmart.dbt_runner import environment
from segmart.failures import explain
from segmart.refresh_lock import RefreshLocked, refresh_lock
from segmart.settings import CONFIGURATION_ERROR, FILES_SOURCE, ConfigurationError, Settings
from segmart.targets import target_of

RAW_EVENTS_KEY = AssetKey(["raw_events", "files"])
# Every op that writes the warehouse is in this pool; the instance limits it to one run at a
# time (orchestration/dagster.yaml), whatever launched the run: schedule, sensor or a person.
WAREHOUSE_POOL = "segmart_warehouse"
# Transient failures (a reader briefly holding the DuckDB file, a killed process) are retried
# with backoff; failed data tests are not (Failure(allow_retries=False)).
RETRY_POLICY = RetryPolicy(
    max_retries=3, delay=20, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)
# Which tests a run of some of the assets also runs. dbt's default ("eager") runs every test that
# touches a selected model, also those of models the run does not build (the relationships test
# of reports.segment_member_sessions when only sessions is selected): such a test fails the run
# when that model is missing or stale. "buildable" runs a test only when all its parents are
# selected or upstream of the selection. Set DBT_INDIRECT_SELECTION to choose another.
INDIRECT_SELECTION_ENV = "DBT_INDIRECT_SELECTION"
DEFAULT_INDIRECT_SELECTION = "buildable"
# Row counts are taken of tables only: counting a view re-runs it (staging views read raw files).
_COUNTED_MATERIALIZATIONS = {"table", "incremental", "seed", "snapshot"}


def _observe_raw_event_files(warehouse: WarehouseResource) -> ObserveResult:
    if warehouse.source != FILES_SOURCE:
        # Raw event tables (docs/sources.md): dbt reads their new rows at each refresh.
        return ObserveResult(metadata={"source": warehouse.source})
    files = list_raw_files(warehouse.events)
    newest = max((file.mtime_ns for file in files), default=0)
    return ObserveResult(
        data_version=DataVersion(batch_key(f"{f.path}:{f.size}:{f.mtime_ns}" for f in files)),
        metadata={
            "location": MetadataValue.path(warehouse.events),
            "files": len(files),
            "bytes": sum(file.size for file in files),
            "newest_file_at": MetadataValue.timestamp(newest / 1e9) if files else None,
        },
    )


with warnings.catch_warnings():  # observable source assets are "beta" in dagster 1.13
    warnings.simplefilter("ignore", BetaWarning)
    raw_event_files = observable_source_asset(
        key=RAW_EVENTS_KEY,
        group_name=SOURCES_GROUP,
        description="Raw Segment event files (JSON lines / Parquet) at SEGMART_EVENTS, or the "
        "raw event tables SEGMART_SOURCE names. Observing lists the files; the data version "
        "changes when a file arrives.",
    )(_observe_raw_event_files)


ACTIVATION_KEY = AssetKey(["activation", "deliveries"])


@asset(
    key=ACTIVATION_KEY,
    deps=[
        AssetKey(["segments", "segment_membership_changes"]),
        AssetKey(["segments", "segment_memberships"]),
    ],
    group_name="activation",
    pool=WAREHOUSE_POOL,  # it writes activation.delivery_log
    retry_policy=RETRY_POLICY,
    description="Entered / exited members of each refresh, delivered to the destinations the "
    "registry names (webhook, file); each change once, logged in activation.delivery_log.",
)
def activation_deliveries(
    context: AssetExecutionContext, warehouse: WarehouseResource, activation: ActivationResource
) -> MaterializeResult:
    from segmart.activation import activation_warehouse, deliver_all
    from segmart.registry import load_registry

    registry = load_registry(Path(activation.segments_dir))
    if not any(segment.destinations for segment in registry):
        return MaterializeResult(metadata={"delivered": 0})
    try:
        duckdb_path = activation_warehouse(warehouse.settings)
    except (ConfigurationError, FileNotFoundError) as error:
        raise Failure(description=str(error), allow_retries=False) from error
    with warehouse_refresh(warehouse.settings, "Dagster activation"):
        report = deliver_all(duckdb_path, registry, Path(activation.output_dir))
    for line in report.delivered:
        context.log.info(f"delivered {line}")
    failures = report.misconfigured + report.failed
    if failures:
        # What went through is logged and will not be sent again; the rest is retried (by the
        # retry policy now, and by the next refresh otherwise), but only when a transient fault
        # is among the failures: a configuration error fails the same way every time.
        raise Failure(
            description=f"{len(failures)} delivery(ies) failed: " + "; ".join(failures),
            metadata={
                "delivered": len(report.delivered),
                "failed": len(report.failed),
                "misconfigured": len(report.misconfigured),
            },
            allow_retries=bool(report.failed),
        )
    return MaterializeResult(
        metadata={
            "delivered": len(report.delivered),
            "already_delivered": report.skipped,
            "destinations": MetadataValue.json(
                {
                    s.name: [d.model_dump() for d in s.destinations]
                    for s in registry
                    if s.destinations
                }
            ),
        }
    )


class DbtBuildConfig(Config):
    """Run configuration of the dbt step (the UI's launchpad, or run_config in code)."""

    full_refresh: bool = Field(
        default=False,
        description="Rebuild the incremental models from every raw file (dbt --full-refresh), "
        "e.g. after the raw files were replaced rather than added to.",
    )


def build_dbt_assets(manifest: Path, project=None):
    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=SegmartTranslator(),
        pool=WAREHOUSE_POOL,
        retry_policy=RETRY_POLICY,
    )
    def segmart_dbt(
        context: AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        config: DbtBuildConfig,
    ) -> Iterator[Any]:
        yield from run_dbt_build(context, dbt, warehouse, full_refresh=config.full_refresh)

    return segmart_dbt


def run_dbt_build(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    *,
    full_refresh: bool = False,
) -> Iterator[Any]:
    """`dbt build` of the selected assets and checks. dbt runs each test right after its model
    and skips everything downstream of a failed one (error severity), so bad sessions or users
    never reach the segments; the run then fails and names the failed checks and skipped assets.
    Row counts are attached once dbt has exited and released the DuckDB file."""
    with warehouse_refresh(warehouse.settings, "Dagster dbt build"):
        yield from _build_and_publish(context, dbt, warehouse, full_refresh)


def _build_and_publish(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    full_refresh: bool,
) -> Iterator[Any]:
    settings = warehouse.settings
    try:
        landed = target_of(settings).land_raw_events()
    except ConfigurationError as error:
        raise Failure(description=str(error), allow_retries=False) from error
    if landed:
        context.log.info(landed)
    indirect = os.environ.get(INDIRECT_SELECTION_ENV) or DEFAULT_INDIRECT_SELECTION
    with environment({**settings.as_env(), INDIRECT_SELECTION_ENV: indirect}):
        invocation = dbt.cli(
            ["build", "--full-refresh"] if full_refresh else ["build"],
            context=context,
            raise_on_error=False,
            target_path=run_target_path(settings),
        )
        events = list(invocation.stream())
    manifest = invocation.manifest
    relations = {
        event.output_name: _relation(manifest, event.metadata)
        for event in events
        if isinstance(event, Output) and _relation(manifest, event.metadata)
    }
    counts = warehouse.row_counts(relations)
    failed_checks = []
    for event in events:
        if isinstance(event, Output) and event.output_name in counts:
            rows = counts[event.output_name]
            event = event.with_metadata(
                {**event.metadata, "dagster/row_count": MetadataValue.int(rows)}
            )
        elif (
            isinstance(event, AssetCheckResult)
            and not event.passed
            and event.severity == AssetCheckSeverity.ERROR
        ):
            failed_checks.append(f"{event.asset_key.to_user_string()}:{event.check_name}")
        yield event
    if invocation.is_successful():
        if target_of(settings).duckdb_file is not None:
            _publish(context, settings)
        return
    run_results = _run_results(invocation)
    misconfigured = [
        result["message"]
        for result in run_results
        if result.get("status") == "error" and CONFIGURATION_ERROR in (result.get("message") or "")
    ]
    if misconfigured:
        # A wrong setting (SEGMART_EVENTS naming nothing): retrying cannot fix it.
        raise Failure(description="\n".join(misconfigured), allow_retries=False)
    skipped = sorted(
        _asset_name(manifest, result["unique_id"])
        for result in run_results
        if result.get("status") == "skipped" and result["unique_id"].startswith(("model.", "seed."))
    )
    if failed_checks:
        description = f"dbt tests failed: {', '.join(failed_checks)}. " + (
            f"{len(skipped)} downstream asset(s) were not refreshed and keep their last good "
            f"version: {', '.join(skipped)}."
            if skipped
            else "No downstream asset depended on them."
        )
        context.log.error(description)
        raise Failure(
            description=description,
            metadata={
                "failed_checks": MetadataValue.json(failed_checks),
                "skipped_assets": MetadataValue.json(skipped),
                "finished_at": datetime.now(UTC).isoformat(),
            },
            allow_retries=False,  # bad data does not get better by retrying
        )
    # dbt itself failed (a model error, a locked file): raise its error, which the retry policy
    # retries with backoff.
    error = invocation.get_error()
    explained = explain(str(error), target_of(settings).duckdb_file) if error else None
    if explained:  # another process holds the file, memory, disk: say what to do
        raise Failure(description=explained) from error
    raise error or Failure(description="dbt build failed")


@contextmanager
def warehouse_refresh(settings: Settings, what: str) -> Iterator[None]:
    """The warehouse's refresh lock (segmart/refresh_lock.py), shared with the CLI; a refresh
    running elsewhere fails this step in one line, and the retry policy tries again later."""
    try:
        with refresh_lock(settings, what):
            yield
    except RefreshLocked as error:
        raise Failure(description=str(error)) from error
    except ConfigurationError as error:  # SEGMART_REFRESH_WAIT is not a number of seconds
        raise Failure(description=str(error), allow_retries=False) from error


def _publish(context: AssetExecutionContext, settings: Settings) -> None:
    """Readers get the refresh once the whole build and its checks passed: the serving file BI
    tools read and segmart's snapshot are replaced atomically (segmart/serving.py)."""
    from segmart.serving import PublishError, publish

    try:
        publication = publish(settings)
    except PublishError as error:
        # Built but not published: readers keep the previous refresh, the next run publishes.
        raise Failure(description=str(error), allow_retries=False) from error
    if publication.compaction():
        context.log.info(publication.compaction())
    context.log.info(f"published {publication.path} for BI readers ({publication.seconds:.1f} s)")


def _relation(manifest: Mapping[str, Any], metadata: Mapping[str, Any]) -> str | None:
    unique_id = metadata.get("unique_id")
    unique_id = getattr(unique_id, "value", unique_id)
    node = manifest.get("nodes", {}).get(unique_id) if unique_id else None
    if not node or node.get("config", {}).get("materialized") not in _COUNTED_MATERIALIZATIONS:
        return None
    return f'"{node["schema"]}"."{node["alias"]}"'


def _asset_name(manifest: Mapping[str, Any], unique_id: str) -> str:
    node = manifest.get("nodes", {}).get(unique_id)
    return f"{node['schema']}/{node['alias']}" if node else unique_id


def _run_results(invocation) -> list[dict[str, Any]]:
    try:
        return invocation.get_artifact("run_results.json").get("results", [])
    except (FileNotFoundError, json.JSONDecodeError):
        return []
