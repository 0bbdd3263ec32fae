"""A refresh killed midway leaves every published table readable and unchanged, and the next
refresh catches up: the same tables as a refresh that was never interrupted.

A warehouse is built, a new batch of events arrives, and a real refresh (segmart's dbt build, in
its own process group: tests/killable_refresh.py) is stopped at the worst moment for the marts:
`marts.sessions` has deleted and re-inserted the re-cut sessions and run its post-hook, and is
about to COMMIT. The test then kills the process group with SIGKILL. Staging and intermediate
models finished before that point and committed their new versions; nothing downstream of
sessions had started. Meanwhile the same refresh runs uninterrupted on a copy of the warehouse,
as the reference."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from segmart.dbt_runner import environment, run_dbt
from segmart.sample_data import GeneratorConfig, generate
from segmart.settings import PROJECT_DIR, Settings

REFRESH = Path(__file__).parent.parent / "killable_refresh.py"
AS_OF = "2026-10-05T00:00:00"
SESSIONS = "model.segmart.sessions"
# What BI tools read. Views are checked for readability only (they follow their tables).
PUBLISHED_SCHEMAS = ("marts", "segments", "reports")
# Columns that record when (wall clock, or run) a row was computed, not what it says.
RUN_TIME_COLUMNS = {"_loaded_at", "_sessionized_run", "_sessionized_at", "recorded_at"}


@dataclass
class Killed:
    settings: Settings
    reference: Settings
    target_path: Path
    before: dict[str, list[tuple]]
    landed_before: int
    progress: list[str]


def tables(path: Path, kind: str = "BASE TABLE") -> list[str]:
    schemas = ", ".join(f"'{schema}'" for schema in PUBLISHED_SCHEMAS)
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in ({schemas}) and table_type = '{kind}' order by 1"
        ).fetchall()
    return [row[0] for row in rows]


def snapshot(path: Path, names: list[str] | None = None) -> dict[str, list[tuple]]:
    """Every row of every published table (all columns but run times), sorted."""
    names = names or tables(path)
    found = {}
    with duckdb.connect(str(path), read_only=True) as connection:
        for name in names:
            columns = [
                row[0]
                for row in connection.execute(f"describe {name}").fetchall()
                if row[0] not in RUN_TIME_COLUMNS
            ]
            select = ", ".join(f'"{column}"' for column in columns)
            found[name] = connection.execute(f"select {select} from {name} order by all").fetchall()
    return found


def scalar(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchone()[0]


def _downstream(manifest: Path, node: str) -> set[str]:
    children = json.loads(manifest.read_text())["child_map"]
    found, todo = {node}, [node]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _copy_warehouse(source: Path, target: Path) -> None:
    for suffix in ("", ".wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")


def _wait_for_pause(process: subprocess.Popen, progress: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if progress.exists() and "paused " in progress.read_text():
            return
        if process.poll() is not None:
            pytest.fail(f"the refresh ended before the pause point:\n{process.stdout.read()}")
        time.sleep(0.1)
    pytest.fail(f"the refresh did not reach the pause point in {timeout} s")


@pytest.fixture(scope="module")
def killed(tmp_path_factory) -> Killed:
    root = tmp_path_factory.mktemp("killed")
    events = root / "events"
    generate(events, GeneratorConfig(events=1500, days=3, seed=5, start=date(2026, 10, 1)))
    settings = Settings(events=str(events), duckdb_path=root / "segmart.duckdb")
    reference = Settings(events=str(events), duckdb_path=root / "reference" / "segmart.duckdb")
    target_path = root / "target"
    with environment({"SEGMART_AS_OF": AS_OF}):
        run_dbt(["build"], settings, target_path=target_path)

    # A new batch arrives; the refresh that loads it is the one killed.
    generate(events / "late", GeneratorConfig(events=300, days=1, seed=6, start=date(2026, 10, 4)))
    reference.duckdb_path.parent.mkdir()
    _copy_warehouse(settings.duckdb_path, reference.duckdb_path)
    before = snapshot(settings.duckdb_path)
    landed_before = scalar(settings.duckdb_path, "select count(*) from staging.stg_events_landed")

    progress = root / "progress.txt"
    env = {**os.environ, **settings.as_env(), "SEGMART_AS_OF": AS_OF}
    process = subprocess.Popen(
        [sys.executable, str(REFRESH), str(target_path), str(progress), SESSIONS, "COMMIT"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: killed as a whole
    )
    try:
        # The uninterrupted reference, in this process, while the other one runs to its pause.
        with environment({"SEGMART_AS_OF": AS_OF}):
            run_dbt(["build"], reference, target_path=root / "target-reference")
        _wait_for_pause(process, progress)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return Killed(
        settings, reference, target_path, before, landed_before, progress.read_text().splitlines()
    )


def test_the_refresh_was_killed_midway(killed):
    finished = {line.split()[0] for line in killed.progress if line.endswith(" success")}
    assert f"paused {SESSIONS} COMMIT" in killed.progress
    assert "done" not in killed.progress
    # Upstream models finished and committed the new batch before the kill...
    assert "model.segmart.int_events_sessionized" in finished
    landed = scalar(killed.settings.duckdb_path, "select count(*) from staging.stg_events_landed")
    assert landed >= killed.landed_before + 300
    # ... and nothing that reads sessions had finished (dbt starts no child before its parents).
    downstream = _downstream(killed.target_path / "manifest.json", SESSIONS)
    assert "model.segmart.users" in downstream
    assert any(".seg_" in node for node in downstream)
    assert not finished & downstream


def test_every_published_table_is_readable_and_unchanged(killed):
    path = killed.settings.duckdb_path
    assert tables(path) == sorted(killed.before)  # no table lost, no half-built one left
    assert snapshot(path) == killed.before
    for view in tables(path, kind="VIEW"):  # views over them still answer
        scalar(path, f"select count(*) from {view}")


def test_the_next_refresh_succeeds_and_matches_an_uninterrupted_one(killed):
    with environment({"SEGMART_AS_OF": AS_OF}):
        run_dbt(["build"], killed.settings, target_path=killed.target_path)
    after = snapshot(killed.settings.duckdb_path)
    reference = snapshot(killed.reference.duckdb_path)
    assert sorted(after) == sorted(reference)
    assert after["marts.sessions"] != killed.before["marts.sessions"]  # the new batch is in
    for name, rows in reference.items():
        assert after[name] == rows, name
