"""Each engine as a build sees it, one object per engine: how raw event files reach it (before
dbt runs) and what segmart reads back from its warehouse (after). `segmart build`, Dagster's
refreshes and the refresh lock take these from here; no other module asks which engine it is."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from segmart.dbt_runner import run_dbt
from segmart.settings import FILES_SOURCE, ConfigurationError, Settings, project_var
from segmart.warehouse import row_counts


class Target:
    """An engine dbt reads the raw files for, whose warehouse segmart does not read back (Spark;
    the others below say how they differ)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = settings.target

    def land_raw_events(self) -> str | None:
        """Land the raw files at settings.events not loaded before where the engine cannot read
        them in dbt; returns what was done, for the log, or None when dbt reads them (dbt then
        raises a location with no event file: macros/ingest/require_raw_events.sql), as it reads
        raw event tables (SEGMART_SOURCE: macros/ingest/raw_event_tables.sql)."""
        if self.settings.source != FILES_SOURCE:
            return None
        return self.land_raw_files()

    def land_raw_files(self) -> str | None:
        return None

    @property
    def duckdb_file(self) -> Path | None:
        """The DuckDB file the build writes, which segmart reads back: row counts, the names of
        quarantined files, the serving file for BI readers, activation. None elsewhere: other
        engines serve their readers themselves."""
        return None

    def built_duckdb_file(self) -> Path | None:
        """duckdb_file, which must exist (a command that reads or changes a built warehouse;
        dbt would create a missing file empty); None on other engines."""
        path = self.duckdb_file
        if path is not None and not path.exists():
            raise FileNotFoundError(f"no warehouse at {path}: build it first (segmart build)")
        return path

    @property
    def warehouse_id(self) -> str:
        """The warehouse a refresh writes, as a short name: refreshes of one warehouse share a
        Dagster tag (one at a time) and a dbt run folder. The target's name where its profile
        names one warehouse (Snowflake, BigQuery)."""
        return self.name

    @property
    def lock_path(self) -> Path:
        """The file a refresh locks: one per target beside the configured DuckDB path."""
        return self.settings.duckdb_path.parent / f"{self.name}.refresh.lock"

    def row_counts(self, relations: Iterable[str]) -> dict[str, int]:
        """Rows of each built relation ('schema.table'), read through one short read-only
        connection once dbt has exited (DuckDB allows no reader beside a writer); relations not
        built are left out. None on engines segmart does not read back."""
        path = self.duckdb_file
        if path is None or not path.exists():
            return {}
        return row_counts(path, relations, built_only=True)


class DuckDBTarget(Target):
    @property
    def duckdb_file(self) -> Path:
        return self.settings.duckdb_path

    @property
    def warehouse_id(self) -> str:
        return str(self.settings.duckdb_path)

    @property
    def lock_path(self) -> Path:
        """Beside the file itself, so every refresh of that file takes the same lock."""
        path = self.settings.duckdb_path
        return path.with_name(f"{path.name}.refresh.lock")


class SparkTarget(Target):
    @property
    def warehouse_id(self) -> str:
        """Its metastore and tables: a folder (profiles.yml's `spark` target)."""
        return str(self.settings.spark_dir)


class PostgresTarget(Target):
    @property
    def warehouse_id(self) -> str:
        """The server and database (SEGMART_PG_* variables, as profiles.yml reads them)."""
        from segmart.raw_load import postgres_dsn

        parts = dict(part.split("=", 1) for part in postgres_dsn().split())
        return f"postgres://{parts['host']}:{parts['port']}/{parts['dbname']}"

    def land_raw_files(self) -> str:
        """Append the new files' lines to raw.segment_events (segmart/raw_load.py)."""
        from segmart.raw_load import load_raw_events

        settings = self.settings
        load = load_raw_events(settings.events)
        if load.files == 0 and not settings.allow_empty_events:
            raise ConfigurationError(no_raw_events_message(settings.events))
        return load.summary()


class ServerSideLoadingTarget(Target):
    """Snowflake and BigQuery load the files from their own cloud storage, through the
    load_raw_events macro (macros/ingest/load_raw_events.sql)."""

    def land_raw_files(self) -> str:
        settings = self.settings
        arguments = json.dumps({"location": settings.events})
        run_dbt(["run-operation", "load_raw_events", "--args", arguments], settings)
        return f"loaded new raw event files at {settings.events} into {self.name}"


_TARGETS: dict[str, type[Target]] = {
    "duckdb": DuckDBTarget,
    "postgres": PostgresTarget,
    "spark": SparkTarget,
    "snowflake": ServerSideLoadingTarget,
    "bigquery": ServerSideLoadingTarget,
}


def target_of(settings: Settings) -> Target:
    """The engine settings.target names."""
    return _TARGETS.get(settings.target, Target)(settings)


def no_raw_events_message(location: str) -> str:
    """The error of a location with no event file, in dbt's words (dbt_project.yml)."""
    return project_var("segmart_no_raw_events_error").replace("{location}", location)
