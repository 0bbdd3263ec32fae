"""Helpers shared by the tests/duckdb/test_rules_*.py specification modules (no tests of its own).

Each rules module builds ONE warehouse (module scope) holding many independent visitors, one per
case, then asserts exact rows per case: a dbt build costs seconds, a query milliseconds.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from conftest import Warehouse, write_events

# Naive datetimes are UTC: DuckDB returns the warehouse's TIMESTAMP columns that way.
T0 = datetime(2024, 5, 1, 8, 0, 0)


def at(seconds: float = 0, base: datetime = T0) -> datetime:
    """The (naive, UTC) instant `seconds` after `base`."""
    return base + timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    """ISO-8601 text with a Z suffix, as Segment writes it (milliseconds only when needed)."""
    text = moment.replace(tzinfo=None).isoformat(timespec="milliseconds")
    return (text[:-4] if text.endswith(".000") else text) + "Z"


def message(
    message_id: str,
    *,
    type: str = "page",
    seconds: float = 0,
    base: datetime = T0,
    anonymous_id: str | None = None,
    user_id: str | None = None,
    **fields,
) -> dict:
    """A Segment message stamped `seconds` after `base` (timestamp and receivedAt 1 s later).

    Extra keyword arguments are top-level fields in Segment's camelCase (event, properties,
    context, traits, ...); a field given as None is left out.
    """
    moment = at(seconds, base)
    body: dict = {
        "messageId": message_id,
        "type": type,
        "anonymousId": anonymous_id,
        "userId": user_id,
        "timestamp": iso(moment),
        "receivedAt": iso(moment + timedelta(seconds=1)),
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def build(warehouse: Warehouse, *args: str) -> Warehouse:
    """`dbt build` (models, seeds and every data test); returns the warehouse for chaining."""
    warehouse.build(*args)
    return warehouse


def new_warehouse(
    tmp_path_factory, dbt_target_path: Path, name: str, events: str | None = None
) -> Warehouse:
    """A warehouse in a fresh folder; `events` (relative to its events folder) narrows
    SEGMART_EVENTS to a file or glob, else the whole events folder is read."""
    root = tmp_path_factory.mktemp(name)
    events_dir = root / "events"
    events_dir.mkdir()
    location = events_dir if events is None else Path(f"{events_dir}/{events}")
    return Warehouse(location, root / "segmart.duckdb", dbt_target_path)


def write_gzip_events(path: Path, messages: Iterable[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(json.dumps(m) for m in messages) + "\n")
    return path


def write_parquet(path: Path, select_sql: str) -> Path:
    """Write the rows of a DuckDB SELECT (nested structs allowed) as a Parquet file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.execute(f"copy ({select_sql}) to '{path}' (format parquet)")
    return path


def rows_by(
    warehouse: Warehouse, sql: str, key: str | Callable[[dict], object] = "message_id"
) -> dict:
    """Rows of a query, as dicts, keyed by a column (or a function of the row)."""
    pick = key if callable(key) else (lambda row: row[key])
    return {pick(row): row for row in warehouse.query_dicts(sql)}


__all__ = [
    "T0",
    "at",
    "build",
    "iso",
    "message",
    "new_warehouse",
    "rows_by",
    "write_events",
    "write_gzip_events",
    "write_parquet",
]
