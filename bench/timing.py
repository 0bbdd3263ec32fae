"""Timing one dbt invocation, shared by the benchmarks."""

from __future__ import annotations

import time
from pathlib import Path

from segmart.dbt_runner import run_dbt
from segmart.settings import PROJECT_DIR, Settings


def timed_run(
    args: list[str], settings: Settings, target: Path, project: Path = PROJECT_DIR
) -> tuple[float, dict[str, float]]:
    """Wall seconds of `dbt <args>`, and each model's execution seconds (slowest first)."""
    started = time.perf_counter()
    result = run_dbt(args, settings, target_path=target, project_dir=project)
    seconds = time.perf_counter() - started
    per_model = {
        item.node.name: round(item.execution_time, 2)
        for item in result.result.results
        if item.node.resource_type == "model"
    }
    return seconds, dict(sorted(per_model.items(), key=lambda item: -item[1]))
