"""The whole pipeline through Dagster, in this process: every asset materialized and every check
run, as one run of the project's `Definitions`. `segmart demo` runs it.

The run is recorded in the Dagster instance the UI uses (DAGSTER_HOME, else `.dagster/` in the
project, where scripts/ui.sh looks), so `bash scripts/ui.sh` afterwards shows the run and every
asset's materialization."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from segmart.settings import PROJECT_DIR, Settings

INSTANCE_SETTINGS = PROJECT_DIR / "orchestration" / "dagster.yaml"


@dataclass
class PipelineResult:
    success: bool
    run_id: str
    materialized: int
    checks_passed: int
    seconds: float
    instance_home: Path
    errors: list[str] = field(default_factory=list)


def instance_home() -> Path:
    """DAGSTER_HOME, else the project's `.dagster/`, with segmart's instance settings installed
    when it has none (what scripts/ui.sh does)."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_DIR / ".dagster")
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(INSTANCE_SETTINGS, home / "dagster.yaml")
    return home


def materialize_all(
    settings: Settings | None = None,
    *,
    full_refresh: bool = False,
    home: Path | None = None,
    output: Path | None = None,
) -> PipelineResult:
    """Materialize every asset and run every check of segmart's definitions on `settings`'
    warehouse. `full_refresh` rebuilds the incremental models from all raw files. `output`: a
    file for what the run prints (dbt's progress lines), instead of standard output."""
    from dagster import DagsterInstance

    from orchestration.definitions import build_definitions

    settings = settings or Settings.from_env()
    home = home or instance_home()
    started = time.perf_counter()
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    run_config = {
        "ops": {"segmart_dbt": {"config": {"full_refresh": full_refresh}}},
        # Dagster logs every event to the console; the caller prints a summary instead.
        "loggers": {"console": {"config": {"log_level": "ERROR"}}},
    }
    with contextlib.ExitStack() as stack:
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(contextlib.redirect_stdout(stack.enter_context(output.open("w"))))
        instance = stack.enter_context(DagsterInstance.from_config(str(home)))
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )
    checks = result.get_asset_check_evaluations()
    errors = [
        event.event_specific_data.error.message.strip()
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE"
    ]
    errors += [
        f"check failed: {check.asset_key.to_user_string()}:{check.check_name}"
        for check in checks
        if not check.passed
    ]
    return PipelineResult(
        success=result.success,
        run_id=result.run_id,
        materialized=len(result.get_asset_materialization_events()),
        checks_passed=sum(check.passed for check in checks),
        seconds=time.perf_counter() - started,
        instance_home=home,
        errors=errors,
    )
