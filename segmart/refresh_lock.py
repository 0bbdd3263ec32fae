"""One refresh of a warehouse at a time, whoever starts it: `segmart build`, `publish` and
`reset-history`, and Dagster's dbt step and activation all write under this lock.

The lock is an advisory lock (flock) on a file beside the DuckDB build file, which the operating
system releases when its holder exits, however it exits: a killed refresh never leaves a stale
lock behind. The holder writes its pid, command and start time into the file, so a second
refresh can say in one line who is running. Other engines have their own locking; the lock file
there only keeps two refreshes started from this machine apart.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from segmart.settings import ConfigurationError, Settings
from segmart.targets import target_of

WAIT_ENV = "SEGMART_REFRESH_WAIT"


class RefreshLocked(RuntimeError):
    """Another process is refreshing the warehouse (or holds its file); the message says who, in
    one line."""


def lock_path(settings: Settings) -> Path:
    """The file a refresh locks: beside the DuckDB file it writes, else one per target there."""
    return target_of(settings).lock_path


def wait_seconds(environ: Mapping[str, str] | None = None) -> float:
    """How long a refresh waits for a running one: SEGMART_REFRESH_WAIT seconds, default 0."""
    value = (os.environ if environ is None else environ).get(WAIT_ENV, "").strip() or "0"
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigurationError(f"{WAIT_ENV} must be a number of seconds, not {value!r}") from None
    if seconds < 0:
        raise ConfigurationError(f"{WAIT_ENV} must not be negative, not {value!r}")
    return seconds


@contextmanager
def refresh_lock(
    settings: Settings, what: str | None = None, wait: float | None = None
) -> Iterator[None]:
    """Hold the warehouse's refresh lock for the block. Waits up to `wait` seconds (default:
    SEGMART_REFRESH_WAIT) for a running refresh, then raises RefreshLocked naming it."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    wait = wait_seconds() if wait is None else wait
    deadline = time.monotonic() + wait
    with open(path, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RefreshLocked(_busy_message(path, settings)) from None
                time.sleep(0.2)
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, `{what or _command()}`, since {started}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _command() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"


def _busy_message(path: Path, settings: Settings) -> str:
    holder = path.read_text().strip() or "a process that just started"
    return (
        f"a refresh of the {settings.target} warehouse is running ({holder}); "
        f"try again when it ends, or set {WAIT_ENV}=SECONDS to wait for it"
    )
