"""`scripts/ui.sh` (the Dagster UI: dagster dev's webserver, daemon and code server) stops as a
whole on Ctrl-C, and on SIGTERM also when started in the background: no process of it stays
behind and the port is free again. Dagster's processes ignore both signals themselves, so this
fails if the script only forwards them to dagster dev.

Every process the script starts inherits its DAGSTER_HOME, a fresh folder per test: the processes
still alive are found by it (/proc/<pid>/environ of this user's processes)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from segmart.settings import PROJECT_DIR

STARTUP_SECONDS = 240  # registry compile, dbt parse, then dagster dev loading the definitions


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _processes_of(home: Path) -> list[int]:
    """Pids of this user's processes whose environment names `home` as DAGSTER_HOME."""
    marker = f"DAGSTER_HOME={home}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or another user's
            continue
        if marker in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def _kill_all(home: Path) -> None:
    for pid in _processes_of(home):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def ui_env(tmp_path) -> Iterator[dict[str, str]]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SEGMART_UI_PORT": str(_free_port()),
        "SEGMART_DUCKDB": str(tmp_path / "segmart.duckdb"),
        "SEGMART_EVENTS": str(tmp_path / "events"),
    }
    try:
        yield env
    finally:
        _kill_all(home)  # whatever the test left, so a failure does not leak a server


def _wait_until_serving(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"scripts/ui.sh exited with {process.returncode} before serving")
        if _listening(port):
            return
        time.sleep(1)
    pytest.fail(f"scripts/ui.sh did not serve on port {port} in {STARTUP_SECONDS} s")


def _assert_all_stopped(home: Path, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (_processes_of(home) or _listening(port)):
        time.sleep(0.5)
    assert _processes_of(home) == []
    assert not _listening(port)


def test_ctrl_c_stops_the_webserver_daemon_and_code_server(ui_env):
    port = int(ui_env["SEGMART_UI_PORT"])
    process = subprocess.Popen(
        ["bash", "scripts/ui.sh"],
        cwd=PROJECT_DIR,
        env=ui_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_until_serving(process, port)
    assert len(_processes_of(Path(ui_env["DAGSTER_HOME"]))) > 2  # more than the script's own
    os.kill(process.pid, signal.SIGINT)  # what Ctrl-C sends
    assert process.wait(timeout=60) == 130
    _assert_all_stopped(Path(ui_env["DAGSTER_HOME"]), port)


def test_sigterm_stops_everything_when_started_in_the_background(ui_env):
    port = int(ui_env["SEGMART_UI_PORT"])
    # `bash scripts/ui.sh &` from a script: the shell starts it with SIGINT ignored.
    shell = subprocess.Popen(
        ["bash", "-c", 'bash scripts/ui.sh >/dev/null 2>&1 & echo "$!"; wait'],
        cwd=PROJECT_DIR,
        env=ui_env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    script_pid = int(shell.stdout.readline())
    _wait_until_serving(shell, port)
    os.kill(script_pid, signal.SIGTERM)  # what `kill PID` sends
    assert shell.wait(timeout=60) == 0
    _assert_all_stopped(Path(ui_env["DAGSTER_HOME"]), port)
