"""The warning `segmart build` prints when raw files are quarantined (docs/rules.md, "Raw files").

A quarantined file does not fail the build (the other files load), so the build says so loudly
instead: the dbt test assert_no_quarantined_raw_files warns with one row per quarantined file
(in Dagster it is a failed asset check on stg_raw_files_quarantined).
"""

from __future__ import annotations

from segmart.settings import Settings
from segmart.targets import target_of
from segmart.warehouse import fetch

QUARANTINE_TEST = "assert_no_quarantined_raw_files"
QUARANTINE_QUERY = (
    "select source_file, error from staging.stg_raw_files_quarantined order by source_file"
)
NAMED_FILES = 10


def quarantine_warning(dbt_result, settings: Settings) -> str | None:
    """The warning for a finished `dbt build` (dbtRunner's result), or None when its quarantine
    test found no file (or did not run). Names the files and their errors where the warehouse is
    a DuckDB file segmart can read; elsewhere points at the model."""
    results = getattr(getattr(dbt_result, "result", None), "results", None) or []
    found = next((r.failures for r in results if r.node.name == QUARANTINE_TEST and r.failures), 0)
    if not found:
        return None
    lines = [
        f"warning: {found} raw event file(s) quarantined, not loaded "
        '(staging.stg_raw_files_quarantined; docs/rules.md "Raw files"):'
    ]
    duckdb_file = target_of(settings).duckdb_file
    if duckdb_file is not None:
        _, rows, more = fetch(duckdb_file, QUARANTINE_QUERY, max_rows=NAMED_FILES)
        lines += [f"  {path}: {error}" for path, error in rows]
        if more:
            lines.append(f"  ... and {found - NAMED_FILES} more")
    return "\n".join(lines)
