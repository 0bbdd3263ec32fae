"""What every analyst command works on: one registry segment, the warehouse and the dbt project."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from segmart.inspect.readonly import InspectError, read_only
from segmart.inspect.render import render
from segmart.registry import Catalog, Registry, Segment, load_catalog
from segmart.registry.base import did_you_mean
from segmart.serving import readable_path
from segmart.settings import Settings


@dataclass(frozen=True)
class Inspection:
    registry: Registry
    segment: Segment
    settings: Settings
    project_dir: Path
    catalog: Catalog

    @classmethod
    def of(cls, registry: Registry, name: str, settings: Settings, project_dir: Path) -> Inspection:
        if name not in registry:
            hint = did_you_mean(name, tuple(s.name for s in registry))
            raise InspectError(f"no segment named {name!r}{hint}")
        return cls(registry, registry[name], settings, project_dir, load_catalog())

    def render(self, queries: Sequence[str]) -> list[str]:
        """The queries rendered by dbt; the warehouse is checked first, so a missing one is
        reported at once rather than after dbt's seconds."""
        with self.connect():
            pass
        return render(queries, self.settings, self.project_dir)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with read_only(readable_path(self.settings)) as connection:
            yield connection
