"""A real refresh (segmart's `dbt build`, through segmart.dbt_runner.run_dbt) for
tests/orchestration/test_orchestration_kill.py, run as its own process group.

    python killable_refresh.py TARGET_PATH PROGRESS_FILE [NODE STATEMENT]

Every node that finishes is appended to PROGRESS_FILE (`unique_id status`). With NODE and
STATEMENT, the thread that runs NODE stops just before sending the statement that starts with
STATEMENT (e.g. `COMMIT`): it writes `paused <node> <statement>` to PROGRESS_FILE and sleeps, so
its transaction stays open while the other dbt thread goes on, until the test kills the process
group with SIGKILL, like an out-of-memory kill or a power cut at that instant. Settings come
from the SEGMART_* environment variables."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from segmart.dbt_runner import run_dbt


def main(target_path: str, progress_file: str, node: str = "", statement: str = "") -> None:
    progress = Path(progress_file)

    def note(line: str) -> None:
        with progress.open("a") as out:
            out.write(line + "\n")

    def on_event(event) -> None:
        name = event.info.name
        if name == "NodeFinished":
            info = event.data.node_info
            note(f"{info.unique_id} {info.node_status}")
        elif node and name == "SQLQuery":
            info = event.data.node_info
            if info.unique_id == node and _statement(event.data.sql).startswith(statement):
                note(f"paused {node} {statement}")
                time.sleep(3600)  # until killed

    run_dbt(["build"], target_path=Path(target_path), callbacks=[on_event])
    note("done")


def _statement(sql: str) -> str:
    """The statement without dbt's leading `/* {...} */` query comment."""
    sql = sql.strip()
    if sql.startswith("/*"):
        sql = sql.split("*/", 1)[1].strip()
    return sql


if __name__ == "__main__":
    main(*sys.argv[1:])
