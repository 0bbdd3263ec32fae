"""The dbt-duckdb plugin (profiles.yml) that gives each dbt connection segmart's Python functions.

segmart_inspect_raw_file(path) is segmart.raw_inspection.inspect_raw_file as JSON text: the
ledger of raw files (stg_raw_file_ledger) calls it once per new version of a file, so a file that
cannot be read is quarantined instead of failing the SQL that reads the others.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection
from duckdb.sqltypes import VARCHAR

from segmart.raw_inspection import inspect_raw_file_json


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        conn.create_function(
            "segmart_inspect_raw_file",
            inspect_raw_file_json,
            [VARCHAR],
            VARCHAR,
            # Reads the file each call: never folded into a constant or cached.
            side_effects=True,
        )
