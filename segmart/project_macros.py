"""The project's own macros, rendered as dbt renders them on DuckDB, for Python that needs a rule a
macro owns (event-name normalization, the raw-file glob, the Parquet reader) outside a dbt run.

Python never restates such a rule: it calls the macro. Only macros that need neither an adapter
nor a warehouse can be called: `var` reads dbt_project.yml (its defaults), `return` returns as
dbt's does, and `segmart.<macro>` resolves as `adapter.dispatch` does on DuckDB (duckdb__<macro>,
then default__<macro>, then the macro itself).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2

from segmart.settings import PROJECT_DIR, project_var

MACROS = PROJECT_DIR / "macros"
# The files whose macros Python calls, and the ones they call.
FILES = (
    "engine/cross_engine.sql",
    "engine/sql_string.sql",
    "sessions/normalize.sql",
    "ingest/raw_event_files.sql",
)


class _Return(Exception):  # dbt's `return`: control flow, not an error
    def __init__(self, value: Any) -> None:
        self.value = value


def _return(value: Any) -> None:
    raise _Return(value)


def _returning(macro: Callable[..., Any]) -> Callable[..., Any]:
    """A macro call's value: what it `return`ed, else the text it rendered."""

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return str(macro(*args, **kwargs)).strip()
        except _Return as returned:
            return returned.value

    return call


class DuckDBMacros:
    """`segmart.<macro>` on DuckDB: call it as `duckdb_macros().raw_event_glob('data/')`."""

    def __init__(self, files: tuple[str, ...] = FILES, macros_dir: Path = MACROS) -> None:
        environment = jinja2.Environment(
            extensions=["jinja2.ext.do"], undefined=jinja2.StrictUndefined
        )
        context = {
            "segmart": self,
            "var": project_var,
            "return": _return,
            "modules": SimpleNamespace(re=re),
        }
        self._modules = [
            environment.from_string((macros_dir / name).read_text(encoding="utf-8"), context).module
            for name in files
        ]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        for candidate in (f"duckdb__{name}", f"default__{name}", name):
            for module in self._modules:
                if hasattr(module, candidate):
                    return _returning(getattr(module, candidate))
        raise AttributeError(f"no macro {name} in {', '.join(FILES)}")


@functools.cache
def duckdb_macros() -> DuckDBMacros:
    return DuckDBMacros()
