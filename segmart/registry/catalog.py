"""The columns segments may filter on, read from the marts' dbt contract (models/marts/_marts.yml).

The contract is the single source of truth: a column added to marts.sessions becomes usable in
segments without touching the registry code, and a renamed one fails validation at once. A type
named per engine is a Jinja expression of `target.type`; it is read as the DuckDB target has it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import jinja2
import yaml

from segmart.settings import PROJECT_DIR

DEFAULT_MARTS_YML = PROJECT_DIR / "models" / "marts" / "_marts.yml"

ColumnKind = Literal["text", "number", "boolean", "timestamp", "json"]

# dbt contract data types -> how segments compare them.
_DISPLAY = {"text": "varchar", "float8": "double", "double precision": "double"}
_KINDS: dict[str, ColumnKind] = {
    "varchar": "text",
    "text": "text",
    "string": "text",
    "bigint": "number",
    "integer": "number",
    "int": "number",
    "smallint": "number",
    "double": "number",
    "float8": "number",
    "double precision": "number",
    "float": "number",
    "real": "number",
    "decimal": "number",
    "numeric": "number",
    "boolean": "boolean",
    "bool": "boolean",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "date": "timestamp",
    "json": "json",
}


@dataclass(frozen=True)
class Column:
    """A mart column: its name, contract data type and comparison kind."""

    name: str
    data_type: str
    kind: ColumnKind


@dataclass(frozen=True)
class Catalog:
    """Columns of marts.sessions, marts.users, marts.accounts and marts.events, by name
    (internal `_` columns left out)."""

    sessions: Mapping[str, Column]
    users: Mapping[str, Column]
    accounts: Mapping[str, Column]
    events: Mapping[str, Column]

    def columns(self, grain: str) -> dict[str, Column]:
        """What an attribute filter may name at a grain: the member table's columns, and at
        session grain also the visitor's users columns as `user.<column>`."""
        if grain == "user":
            return dict(self.users)
        if grain == "account":
            return dict(self.accounts)
        return {**self.sessions, **{f"user.{name}": col for name, col in self.users.items()}}


def load_catalog(path: Path = DEFAULT_MARTS_YML) -> Catalog:
    """Read the member tables' and events' column contracts from a dbt properties file (cached while
    the file is unchanged: every registry load needs it)."""
    stat = path.stat()
    return _load_catalog(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load_catalog(path: Path, mtime_ns: int, size: int) -> Catalog:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    models = {model["name"]: model for model in document.get("models", [])}
    return Catalog(
        sessions=MappingProxyType(_columns(models, "sessions", path)),
        users=MappingProxyType(_columns(models, "users", path)),
        accounts=MappingProxyType(_columns(models, "accounts", path)),
        events=MappingProxyType(_columns(models, "events", path)),
    )


def _columns(models: Mapping[str, dict], name: str, path: Path) -> dict[str, Column]:
    if name not in models:
        raise ValueError(f"{path}: no model '{name}'")
    columns: dict[str, Column] = {}
    for column in models[name].get("columns", []):
        column_name = column["name"]
        if column_name.startswith("_"):
            continue  # bookkeeping such as _sessionized_at, not member attributes
        data_type = _duckdb_type(str(column.get("data_type", ""))).lower()
        kind = _KINDS.get(data_type.split("(")[0].strip())
        if kind is None:
            raise ValueError(f"{path}: {name}.{column_name} has unsupported type '{data_type}'")
        # Contracts name types as PostgreSQL does (text, float8); messages and docs say varchar
        # and double, as DuckDB does.
        columns[column_name] = Column(column_name, _DISPLAY.get(data_type, data_type), kind)
    return columns


def _duckdb_type(data_type: str) -> str:
    """The type as dbt renders it for the DuckDB target (`{{ 'float64' if target.type ==
    'bigquery' else 'float8' }}` -> float8); a plain name as it is."""
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(data_type)
    return template.render(target={"type": "duckdb"})
