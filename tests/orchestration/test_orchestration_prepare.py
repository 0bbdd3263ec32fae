"""`prepare()` runs in one process at a time: a process that finds the manifest stale while
another prepares it waits for the lock (seen in /proc/locks as a blocked flock), then prepares
with the project as the first left it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from orchestration.project import PROJECT_DIR, manifest_path, prepare, prepare_lock

PREPARE = "from orchestration.project import prepare; prepare(force=True)"


def _waiting_for_a_flock(pid: int) -> bool:
    """True when `pid` is blocked on a flock (/proc/locks lists waiters as `-> FLOCK ... pid`)."""
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if fields[1:3] == ["->", "FLOCK"] and fields[5] == str(pid):
            return True
    return False


def test_a_second_prepare_waits_for_the_first():
    prepare()
    with prepare_lock():
        before = manifest_path().stat().st_mtime_ns
        second = subprocess.Popen([sys.executable, "-c", PREPARE], cwd=PROJECT_DIR)
        deadline = time.monotonic() + 120  # imports Dagster and dbt first
        while not _waiting_for_a_flock(second.pid):
            assert second.poll() is None, "the second prepare ended without waiting"
            assert time.monotonic() < deadline, "the second prepare never waited for the lock"
            time.sleep(0.1)
        assert manifest_path().stat().st_mtime_ns == before  # nothing written while waiting
    assert second.wait(timeout=300) == 0
    assert manifest_path().stat().st_mtime_ns > before
