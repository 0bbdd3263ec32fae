"""What a build does around dbt, per target: how raw event files reach an engine that cannot read
them itself (before dbt runs), and whether there is a DuckDB file to count rows in and publish
(after). The one place `segmart build` and Dagster's refreshes take both from."""

from __future__ import annotations

import json

from segmart.dbt_runner import run_dbt
from segmart.settings import ConfigurationError, Settings, project_var

# Engines that load the files server-side, from their own cloud storage, through the
# load_raw_events macro (macros/ingest/load_raw_events.sql).
SERVER_SIDE_LOADING_TARGETS = frozenset({"snowflake", "bigquery"})


def land_raw_events(settings: Settings) -> str | None:
    """Append the raw files at settings.events not loaded before to raw.segment_events, where
    the target's engine cannot read them itself; returns what was done, for the log, or None
    when the engine reads the files in dbt (DuckDB, Spark). Raises ConfigurationError when the
    location holds no event file at all (dbt raises it for the engines that read files in dbt:
    macros/ingest/require_raw_events.sql)."""
    if settings.target == "postgres":
        from segmart.raw_load import load_raw_events

        load = load_raw_events(settings.events)
        if load.files == 0 and not settings.allow_empty_events:
            raise ConfigurationError(no_raw_events_message(settings.events))
        return load.summary()
    if settings.target in SERVER_SIDE_LOADING_TARGETS:
        arguments = json.dumps({"location": settings.events})
        run_dbt(["run-operation", "load_raw_events", "--args", arguments], settings)
        return f"loaded new raw event files at {settings.events} into {settings.target}"
    return None


def no_raw_events_message(location: str) -> str:
    """The error of a location with no event file, in dbt's words (dbt_project.yml)."""
    return project_var("segmart_no_raw_events_error").replace("{location}", location)


def has_duckdb_file(settings: Settings) -> bool:
    """Whether the build writes settings.duckdb_path: the file whose rows are counted and which
    is published for BI readers. Other engines serve their readers themselves."""
    return settings.target == "duckdb"
