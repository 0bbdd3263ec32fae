"""What `segmart build` shows while dbt works and after it.

While: nodes finished of the total, what runs now and the time so far; on a terminal one line
redrawn in place, elsewhere (a log, CI) a plain line per model or seed and per test that did not
pass. After: what was built, how long it took, every warning (dbt's, and tests that warned), and
where dbt's whole log is. dbt itself stays quiet on the terminal (segmart/dbt_runner.py).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

# dbt's events for a node that finished, with its index of the run's total (dbt/events/types.py).
FINISHED_EVENTS = {"LogModelResult", "LogSeedResult", "LogTestResult", "LogSnapshotResult"}
BAR_WIDTH = 24
# What the summary counts, by dbt's resource type.
REPORTED_KINDS = {
    "model": "model",
    "seed": "seed",
    "snapshot": "snapshot",
    "test": "test",
    "unit_test": "test",
}


@dataclass
class BuildProgress:
    """A dbtRunner callback (run_dbt's `callbacks`) that draws the progress on `stream`."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], float] = time.monotonic
    done: int = 0
    total: int = 0
    running: dict[str, str] = field(default_factory=dict)  # unique_id -> description
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.started = self.clock()
        self.interactive = self.stream.isatty()

    def __call__(self, event) -> None:
        name, data = event.info.name, event.data
        if name == "LogStartLine":
            self.total = max(self.total, data.total)
            self.running[data.node_info.unique_id] = data.description
        elif name in FINISHED_EVENTS:
            self.done += 1
            self.total = max(self.total, getattr(data, "total", 0) or data.num_models)
            self.running.pop(data.node_info.unique_id, None)
            if not self.interactive and (name != "LogTestResult" or data.status != "pass"):
                self._write(self._finished_line(name, data) + "\n")
        elif event.info.level == "warn":
            self.warnings.append(" ".join(event.info.msg.split()))
            return
        else:
            return
        if self.interactive:
            self._write("\r" + self._bar_line().ljust(100)[:100])

    def close(self) -> None:
        """End the redrawn line, before anything else is printed."""
        if self.interactive and self.total:
            self._write("\n")

    def _bar_line(self) -> str:
        filled = BAR_WIDTH * self.done // self.total if self.total else 0
        now = next(iter(self.running.values()), "")
        return (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.done}/{self.total} "
            f"{self.elapsed()} {now}"
        )

    def _finished_line(self, name: str, data) -> str:
        status = str(data.status).upper()
        if name == "LogTestResult":
            what = f"test {data.name}"
        elif name == "LogSeedResult":  # no description of its own
            what = f"seed {data.schema}.{data.relation}"
        else:
            what = data.description
        return (
            f"[{self.done}/{self.total}] {status} {what} ({data.execution_time:.1f} s, "
            f"{self.elapsed()} in all)"
        )

    def elapsed(self) -> str:
        minutes, seconds = divmod(int(self.clock() - self.started), 60)
        return f"{minutes}m{seconds:02d}s"

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def build_summary(dbt_result, progress: BuildProgress, log: str) -> list[str]:
    """After a build: what it built and tested, and every warning, in a few lines."""
    results = getattr(getattr(dbt_result, "result", None), "results", None) or []
    counts: dict[str, int] = {}
    warned = []
    for result in results:
        kind = REPORTED_KINDS.get(result.node.resource_type)
        if kind is None:  # hooks (operations), exposures
            continue
        counts[kind] = counts.get(kind, 0) + 1
        if str(result.status) == "warn":
            warned.append(f"test {result.node.name} warned: {result.message or 'see the log'}")
    built = ", ".join(f"{count} {kind}s" for kind, count in sorted(counts.items()))
    lines = [f"dbt: {built or 'nothing'} in {progress.elapsed()}; its whole log: {log}"]
    warnings = warned + progress.warnings
    lines += [f"warning: {warning}" for warning in warnings]
    return lines
