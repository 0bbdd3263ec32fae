"""`segmart-dbt`: dbt's command line, the executable Dagster runs (orchestration/project.py).

It is dbt's own entry point, except that `segmart-dbt --version` answers from the installed
package's metadata without importing dbt: dagster-dbt asks the executable for its version before
each run's first dbt command, and importing dbt for that costs seconds (docs/benchmarks.md,
"Measured design choices")."""

from __future__ import annotations

import sys
from importlib import metadata


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        # As dbt prints it: dagster-dbt reads the first x.y.z.
        print(f"Core:\n  - installed: {metadata.version('dbt-core')}")
        return 0
    from dbt.cli.main import cli

    return cli()
