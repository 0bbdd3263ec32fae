"""Render dbt-Jinja queries (refs, segmart macros, as_of) to plain SQL, without a connection.

Segment SQL is dbt Jinja, so dbt renders it: `dbt compile --inline`, with --no-populate-cache and
--no-introspect, renders refs and macros without opening the warehouse (measured: it succeeds
while another process holds the DuckDB write lock, and fails on that lock without the two flags).
`dbt show` would run the query through dbt-duckdb, which opens the file read-write; instead
segmart runs the rendered SQL on its own read-only connection. All of a command's queries go
through one dbt invocation (seconds, most of it dbt starting and checking its parse).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from pathlib import Path

from segmart.dbt_runner import DbtCommandError, run_dbt
from segmart.inspect.readonly import InspectError
from segmart.settings import PROJECT_DIR, Settings

AS_OF_QUERY = "select {{ segmart.as_of() }} as as_of"

# Its own target folder: never rewrites the manifest a build (or Dagster) uses, and keeps its
# partial parse between commands.
TARGET_SUBDIR = Path("target") / "inspect"


def project_of(segments_dir: Path) -> Path:
    """The dbt project a registry folder belongs to (the folder holding it, like the lists in
    seeds/segment_lists/ beside it), else segmart's own."""
    parent = Path(segments_dir).resolve().parent
    return parent if (parent / "dbt_project.yml").exists() else PROJECT_DIR


def render(
    queries: Sequence[str], settings: Settings, project_dir: Path = PROJECT_DIR
) -> list[str]:
    """Each query rendered by dbt against the project, in order (one dbt invocation)."""
    # A separator no registry value can forge: values stay on one line inside string literals,
    # and the token is new each time.
    separator = f"-- segmart inspect part {secrets.token_hex(8)}"
    args = [
        "compile",
        "--inline",
        f"\n{separator}\n".join(queries),
        "--no-populate-cache",
        "--no-introspect",
    ]
    try:
        result = run_dbt(
            args, settings, project_dir=project_dir, target_path=project_dir / TARGET_SUBDIR
        )
    except DbtCommandError as error:
        detail = str(error).removeprefix(f"dbt {' '.join(args)} failed").strip()
        reasons = "\n".join(dict.fromkeys(error.errors or [detail]))
        raise InspectError(f"dbt could not render the segment's SQL:\n{reasons}") from None
    compiled = result.result.results[0].node.compiled_code
    parts = [part.strip() for part in re.split(rf"\s*{re.escape(separator)}\s*", compiled)]
    if len(parts) != len(queries):  # a macro swallowed a separator: a bug, not a user error
        raise RuntimeError(f"rendered {len(parts)} queries, expected {len(queries)}")
    return parts
