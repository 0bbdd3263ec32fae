"""Dagster resources: where the warehouse and the raw events are, and the dbt CLI."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from orchestration.project import dbt_executable, dbt_project
from segmart.settings import DEFAULT_SPARK_DIR, FILES_SOURCE, Settings
from segmart.targets import target_of


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse and raw events a run works on (defaults: SEGMART_* variables)."""

    events: str
    duckdb_path: str
    target: str = "duckdb"
    spark_dir: str = str(DEFAULT_SPARK_DIR)
    allow_empty_events: bool = False
    # files, or the raw event tables dbt reads (SEGMART_SOURCE, docs/sources.md).
    source: str = FILES_SOURCE

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> WarehouseResource:
        settings = settings or Settings.from_env()
        return cls(
            events=settings.events,
            duckdb_path=str(settings.duckdb_path),
            target=settings.target,
            spark_dir=str(settings.spark_dir),
            allow_empty_events=settings.allow_empty_events,
            source=settings.source,
        )

    @property
    def settings(self) -> Settings:
        return Settings(
            events=self.events,
            duckdb_path=Path(self.duckdb_path),
            target=self.target,
            spark_dir=Path(self.spark_dir),
            allow_empty_events=self.allow_empty_events,
            source=self.source,
        )

    def row_counts(self, relations: dict[str, str]) -> dict[str, int]:
        """Rows of each built relation ({key: 'schema.table'}) on engines segmart reads back."""
        counted = target_of(self.settings).row_counts(relations.values())
        return {
            key: counted[relation] for key, relation in relations.items() if relation in counted
        }


class ActivationResource(ConfigurableResource):
    """Where segment destinations come from (the registry) and where file destinations write."""

    segments_dir: str
    output_dir: str

    @classmethod
    def from_env(cls) -> ActivationResource:
        from segmart.activation import activation_dir
        from segmart.registry import DEFAULT_SEGMENTS_DIR

        return cls(segments_dir=str(DEFAULT_SEGMENTS_DIR), output_dir=str(activation_dir()))


def dbt_resource(settings: Settings | None = None) -> DbtCliResource:
    settings = settings or Settings.from_env()
    return DbtCliResource(
        project_dir=dbt_project(),
        dbt_executable=dbt_executable(),
        target=settings.target,
    )
