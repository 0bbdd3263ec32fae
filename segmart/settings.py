"""Where segmart reads events and writes its warehouse: environment variables with safe defaults.

The same variables are read by dbt (`profiles.yml`, `dbt_project.yml`), so a user can run
`dbt build` by hand and get the same result as `segmart build`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

EVENTS_ENV = "SEGMART_EVENTS"
DUCKDB_ENV = "SEGMART_DUCKDB"
TARGET_ENV = "SEGMART_TARGET"
SPARK_DIR_ENV = "SEGMART_SPARK_DIR"

DEFAULT_EVENTS = PROJECT_DIR / "data" / "events"
DEFAULT_DUCKDB = PROJECT_DIR / "warehouse" / "segmart.duckdb"
# The `spark` target's metastore, tables and logs (profiles.yml).
DEFAULT_SPARK_DIR = PROJECT_DIR / "warehouse" / "spark"


@dataclass(frozen=True)
class Settings:
    events: str
    duckdb_path: Path
    target: str = "duckdb"
    spark_dir: Path = DEFAULT_SPARK_DIR

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            events=_absolute(env.get(EVENTS_ENV) or str(DEFAULT_EVENTS)),
            duckdb_path=Path(_absolute(env.get(DUCKDB_ENV) or str(DEFAULT_DUCKDB))),
            target=env.get(TARGET_ENV) or "duckdb",
            spark_dir=Path(_absolute(env.get(SPARK_DIR_ENV) or str(DEFAULT_SPARK_DIR))),
        )

    def as_env(self) -> dict[str, str]:
        """The variables dbt reads, resolved to absolute paths (dbt runs in PROJECT_DIR)."""
        return {
            EVENTS_ENV: self.events,
            DUCKDB_ENV: str(self.duckdb_path),
            TARGET_ENV: self.target,
            SPARK_DIR_ENV: str(self.spark_dir),
        }


def _absolute(location: str) -> str:
    """Resolve a local path (which may be a glob) against the caller's working directory. A URI
    (s3a://..., gs://...) or a Snowflake stage (@stage/path) is a location the engine reads
    itself, passed on as written."""
    if os.path.isabs(location) or "://" in location or location.startswith("@"):
        return location
    return os.path.join(os.getcwd(), location)
