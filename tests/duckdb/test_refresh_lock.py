"""One refresh at a time, and failures a person can act on: a second refresh says who is
running in one line, a process holding the build file is named, segmart's own readers never hold
the build file, SQL errors are one line, and running out of memory names the setting.

Every holder here is a real, separate process; every command runs as a user runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from dagster import Failure

from orchestration.assets import warehouse_refresh
from segmart.refresh_lock import RefreshLocked, lock_path, refresh_lock
from segmart.serving import snapshot_path
from segmart.settings import Settings

from conftest import skip_unless_in_ci

SEGMART = Path(sys.executable).with_name("segmart")


def holder(code: str, ready: Path) -> subprocess.Popen:
    """A process running `code` (which touches `ready` once it holds what it holds), then
    sleeping until killed."""
    script = textwrap.dedent(code) + f"\nopen({str(ready)!r}, 'w').close()\nimport time\n"
    script += "time.sleep(600)\n"
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert process.poll() is None, "the holder exited"
        assert time.monotonic() < deadline, "the holder never got ready"
        time.sleep(0.05)
    return process


def segmart(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SEGMART, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **env}
    )


@pytest.fixture
def settings(tmp_path) -> Settings:
    events = tmp_path / "events"
    events.mkdir()
    (events / "1.jsonl").write_text(
        '{"messageId": "m1", "type": "page", "anonymousId": "a1", '
        '"timestamp": "2024-05-01T08:00:00Z", "receivedAt": "2024-05-01T08:00:00Z"}\n'
    )
    return Settings(events=str(events), duckdb_path=tmp_path / "segmart.duckdb")


def lock_holder(settings: Settings, tmp_path: Path) -> subprocess.Popen:
    return holder(
        f"""
        from pathlib import Path
        from segmart.refresh_lock import refresh_lock
        from segmart.settings import Settings
        lock = refresh_lock(Settings(events="", duckdb_path=Path({str(settings.duckdb_path)!r})),
                            "segmart build --full-refresh")
        lock.__enter__()
        """,
        tmp_path / "ready",
    )


def test_a_second_refresh_says_in_one_line_who_is_running(settings, tmp_path):
    running = lock_holder(settings, tmp_path)
    try:
        result = segmart("build", env=settings.as_env())
    finally:
        running.kill()
        running.wait()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"segmart: a refresh of the duckdb warehouse is running (pid {running.pid}, "
        "`segmart build --full-refresh`, since "
    )
    assert line.endswith("or set SEGMART_REFRESH_WAIT=SECONDS to wait for it")
    assert not settings.duckdb_path.exists()  # nothing was built


def test_a_killed_refresh_leaves_no_lock_and_a_waiting_one_goes_on(settings, tmp_path):
    running = lock_holder(settings, tmp_path)
    with pytest.raises(RefreshLocked), refresh_lock(settings, wait=0):
        pass
    subprocess.Popen(["sh", "-c", f"sleep 1; kill -9 {running.pid}"])
    started = time.monotonic()
    with refresh_lock(settings, wait=30):  # waits for the holder, killed a second later
        assert lock_path(settings).read_text().startswith(f"pid {os.getpid()}, ")
    running.wait()
    assert 0.5 < time.monotonic() - started < 30
    assert lock_path(settings).read_text() == ""  # released: no holder named


def test_dagster_steps_fail_naming_the_running_refresh(settings, tmp_path):
    running = lock_holder(settings, tmp_path)
    try:
        with pytest.raises(Failure) as failure, warehouse_refresh(settings, "Dagster dbt build"):
            pass
    finally:
        running.kill()
        running.wait()
    assert f"is running (pid {running.pid}, `segmart build --full-refresh`" in (
        failure.value.description
    )


def test_a_process_holding_the_build_file_is_named(settings, tmp_path):
    with duckdb.connect(str(settings.duckdb_path)) as connection:
        connection.execute("create table t as select 1 as x")
    reader = holder(
        f"import duckdb\nc = duckdb.connect({str(settings.duckdb_path)!r}, read_only=True)",
        tmp_path / "ready",
    )
    try:
        result = segmart("build", env=settings.as_env())
    finally:
        reader.kill()
        reader.wait()
    assert (result.returncode, result.stdout) == (1, "")
    assert "Traceback" not in result.stderr
    assert (
        f"{settings.duckdb_path} is held open by another process (pid {reader.pid}, "
    ) in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_sql_reads_the_snapshot_while_a_refresh_holds_the_build_file(settings, tmp_path):
    served = snapshot_path(settings)
    served.parent.mkdir()
    for path, rows in ((settings.duckdb_path, 2), (served, 3)):
        with duckdb.connect(str(path)) as connection:
            connection.execute(f"create table t as select range as x from range({rows})")
    writer = holder(
        f"import duckdb\nc = duckdb.connect({str(settings.duckdb_path)!r})", tmp_path / "ready"
    )
    try:
        result = segmart("sql", "select count(*) as n from t", env=settings.as_env())
        broken = segmart("sql", "selec count(*) from t", env=settings.as_env())
    finally:
        writer.kill()
        writer.wait()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2].strip() == "3"  # the snapshot's rows
    assert broken.returncode == 1
    assert broken.stderr.startswith('segmart: Parser Error: syntax error at or near "selec"')
    assert len(broken.stderr.splitlines()) == 1


def test_running_out_of_memory_names_the_setting(settings):
    result = segmart(
        "build", "--no-publish", env={**settings.as_env(), "SEGMART_DUCKDB_MEMORY_LIMIT": "1MB"}
    )
    assert (result.returncode, result.stdout) == (1, "")  # dbt's own output is in its log
    assert "Traceback" not in result.stderr
    assert "DuckDB ran out of memory" in result.stderr
    assert "raise SEGMART_DUCKDB_MEMORY_LIMIT (docs/operations.md)" in result.stderr
    # The whole story is in the log the message names.
    log = Path(result.stderr.rsplit("(details: ", 1)[1].rstrip().removesuffix(")"))
    assert "Out of Memory Error" in log.read_text()


def test_a_failed_full_refresh_keeps_every_table_of_the_last_good_build(settings):
    def tables() -> dict[str, int]:
        with duckdb.connect(str(settings.duckdb_path), read_only=True) as connection:
            names = connection.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_type = 'BASE TABLE'"
            ).fetchall()
            return {
                name: connection.execute(f"select count(*) from {name}").fetchone()[0]
                for (name,) in names
            }

    assert segmart("build", "--no-publish", env=settings.as_env()).returncode == 0
    built = tables()
    assert built["reference.channel_medium_aliases"] > 0
    # Enough memory to start, too little to reload the seeds: the full refresh fails midway.
    result = segmart(
        "build",
        "--full-refresh",
        "--no-publish",
        env={**settings.as_env(), "SEGMART_DUCKDB_MEMORY_LIMIT": "3MB"},
    )
    assert result.returncode == 1
    assert "DuckDB ran out of memory" in result.stderr
    assert tables() == built


@pytest.fixture
def small_disk(tmp_path):
    """A 128 KB file system (tmpfs, mounted as root; CI runs as root)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        skip_unless_in_ci("the disk-full tests", "cannot mount a small tmpfs (not root?)")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_during_a_build_is_one_line(settings, small_disk):
    on_small_disk = Settings(settings.events, small_disk / "segmart.duckdb")
    result = segmart("build", "--no-publish", env=on_small_disk.as_env())
    assert (result.returncode, result.stdout) == (1, "")
    assert "Traceback" not in result.stderr
    assert f"dbt build failed: the disk is full: free space in {small_disk} (the warehouse" in (
        result.stderr
    )


def test_a_full_disk_during_publish_is_one_line_and_keeps_no_partial_copy(settings, small_disk):
    assert segmart("build", "--no-publish", env=settings.as_env()).returncode == 0
    result = segmart("publish", env={**settings.as_env(), "SEGMART_SERVING_DIR": str(small_disk)})
    assert result.returncode == 1
    assert result.stderr == (
        f"segmart: could not publish {settings.duckdb_path}: the disk holding {small_disk} is "
        "full. Readers keep the previous refresh; free space there (or point "
        "SEGMART_SERVING_DIR elsewhere) and run `segmart publish`.\n"
    )
    assert list(small_disk.iterdir()) == []
    assert not snapshot_path(settings).exists()  # neither file is replaced without the other
