"""Where segmart reads events and writes its warehouse: environment variables with safe defaults.

The same variables are read by dbt (`profiles.yml`, `dbt_project.yml`), so a user can run
`dbt build` by hand and get the same result as `segmart build`.
"""

from __future__ import annotations

import functools
import os
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent

EVENTS_ENV = "SEGMART_EVENTS"
# Where raw events come from: files at SEGMART_EVENTS (the default), or warehouse tables that dbt
# reads itself (dbt_project.yml's var segmart_source reads it, and checks its value).
SOURCE_ENV = "SEGMART_SOURCE"
FILES_SOURCE = "files"
DUCKDB_ENV = "SEGMART_DUCKDB"
TARGET_ENV = "SEGMART_TARGET"
SPARK_DIR_ENV = "SEGMART_SPARK_DIR"
# 1: a build that finds no raw event at all may succeed with empty tables (dbt_project.yml's var
# segmart_allow_empty_events reads it too); otherwise such a build is an error.
ALLOW_EMPTY_EVENTS_ENV = "SEGMART_ALLOW_EMPTY_EVENTS"

# Where segment windows end (macros/segments/as_of.sql); unset: when each refresh starts.
AS_OF_ENV = "SEGMART_AS_OF"

DEFAULT_EVENTS = PROJECT_DIR / "data" / "events"
DEFAULT_DUCKDB = PROJECT_DIR / "warehouse" / "segmart.duckdb"
# The `spark` target's metastore, tables and logs (profiles.yml).
DEFAULT_SPARK_DIR = PROJECT_DIR / "warehouse" / "spark"


@functools.cache
def project_var(name: str) -> Any:
    """A var as dbt_project.yml writes it: the rules dbt's macros and segmart's Python both follow
    (the raw files read, the longest line) are written there once."""
    return _project_vars()[name]


def project_time_zone() -> str:
    """Where the project's days and weeks are (dbt var segmart_time_zone): reports' days and weeks,
    segments' dates. Timestamps stay UTC in every table."""
    name = project_var("segmart_time_zone")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigurationError(
            f"{CONFIGURATION_ERROR}: dbt_project.yml var segmart_time_zone: unknown time zone "
            f"{name!r} (an IANA name like Europe/Lisbon, or UTC)"
        ) from None
    return name


@functools.cache
def _project_vars() -> dict[str, Any]:
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return project["vars"]


# How a configuration error's message starts, in Python and in dbt's (dbt_project.yml, var
# segmart_no_raw_events_error), so a Dagster run can tell one from a transient failure.
CONFIGURATION_ERROR = "segmart configuration error"


class ConfigurationError(ValueError):
    """A setting is wrong (a variable's value, a location with nothing to read): the message names
    it. Retrying cannot help, so no caller retries it."""


@dataclass(frozen=True)
class Settings:
    events: str
    duckdb_path: Path
    target: str = "duckdb"
    spark_dir: Path = DEFAULT_SPARK_DIR
    allow_empty_events: bool = False
    source: str = FILES_SOURCE

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            events=_absolute(env.get(EVENTS_ENV) or str(DEFAULT_EVENTS)),
            duckdb_path=Path(_absolute(env.get(DUCKDB_ENV) or str(DEFAULT_DUCKDB))),
            target=env.get(TARGET_ENV) or "duckdb",
            spark_dir=Path(_absolute(env.get(SPARK_DIR_ENV) or str(DEFAULT_SPARK_DIR))),
            allow_empty_events=_flag(env, ALLOW_EMPTY_EVENTS_ENV),
            source=(env.get(SOURCE_ENV) or FILES_SOURCE).strip(),
        )

    def as_env(self) -> dict[str, str]:
        """The variables dbt reads, resolved to absolute paths (dbt runs in PROJECT_DIR)."""
        return {
            EVENTS_ENV: self.events,
            DUCKDB_ENV: str(self.duckdb_path),
            TARGET_ENV: self.target,
            SPARK_DIR_ENV: str(self.spark_dir),
            ALLOW_EMPTY_EVENTS_ENV: "1" if self.allow_empty_events else "0",
            SOURCE_ENV: self.source,
        }


def _flag(env: Mapping[str, str], name: str) -> bool:
    """An on/off variable: unset, empty or 0 is off, 1 is on; anything else is a mistake, named
    rather than read as either."""
    value = env.get(name, "").strip()
    if value not in ("", "0", "1"):
        raise ConfigurationError(f"{name}={value!r}: set it to 1 (on) or 0 (off)")
    return value == "1"


def _absolute(location: str) -> str:
    """Resolve a local path (which may be a glob) against the caller's working directory. A URI
    (s3a://..., gs://...) or a Snowflake stage (@stage/path) is a location the engine reads
    itself, passed on as written."""
    if os.path.isabs(location) or "://" in location or location.startswith("@"):
        return location
    return os.path.join(os.getcwd(), location)
