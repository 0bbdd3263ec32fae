"""Event names as the warehouse matches them, by the warehouse's own rule.

Segments name events the way people write them ("Product Added", "product-added"); the warehouse
stores `event_name` normalized by the `normalize_event_name` macro (macros/sessions/normalize.sql).
Both sides must normalize identically, or a segment silently matches nothing. The registry needs
the names before any warehouse exists, so Python does not restate the rule: it renders that
macro for DuckDB (segmart/project_macros.py) and evaluates it on an in-memory DuckDB. The rule is
written once, in the macro.
"""

from __future__ import annotations

import functools
import os
import threading

import duckdb

from segmart.project_macros import duckdb_macros


def event_name_expression(column: str) -> str:
    """The normalize_event_name macro rendered for DuckDB, applied to `column`."""
    return duckdb_macros().normalize_event_name(column)


_connection_lock = threading.Lock()
_connections: dict[int, duckdb.DuckDBPyConnection] = {}


@functools.lru_cache(maxsize=8192)
def normalize_event_name(name: str | None) -> str | None:
    """The name as `marts.events.event_name` holds it; None when nothing is left (or for None).

    >>> normalize_event_name("Order Completed")
    'order_completed'
    >>> normalize_event_name("  --  ") is None
    True
    """
    if name is None:
        return None
    with _connection_lock:
        # One in-memory database per process (a forked worker opens its own).
        connection = _connections.get(os.getpid())
        if connection is None:
            connection = _connections.setdefault(os.getpid(), duckdb.connect())
        query = f"select {event_name_expression('name')} from (select ?::varchar as name)"
        return connection.execute(query, [name]).fetchone()[0]
