"""The dbt project as Dagster sees it, and the step that makes its manifest current.

dagster-dbt builds assets from `manifest.json` when the definitions are imported, so the manifest
must exist and be up to date before that: `prepare()` compiles the segment registry (the same
code as `segmart compile`) and runs `dbt parse`. A new registry file is therefore a new asset the
next time the definitions load, with no hand edits. It runs only when an input is newer than the
manifest, so loading the definitions again (every Dagster run does) costs a few `stat` calls.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtProject

from segmart.settings import PROJECT_DIR, Settings
from segmart.targets import target_of

# Where `prepare` writes the manifest Dagster loads (apart from `target/`, which plain dbt and
# `segmart build` use, so neither invalidates the other's partial parse).
MANIFEST_DIR = PROJECT_DIR / "target" / "dagster"
# dbt invocations of Dagster runs: one folder per warehouse (runs on one warehouse never overlap,
# see orchestration/README.md), reused so dbt's partial parse is reused and folders do not pile up.
RUNS_DIR = PROJECT_DIR / "target" / "dagster-runs"

PREPARE_ENV = "SEGMART_DAGSTER_PREPARE"

# Everything the manifest is made from: when one is newer than the manifest, prepare again.
_INPUTS = ("segments", "models", "macros", "seeds", "tests/dbt", "dbt_project.yml", "profiles.yml")


def dbt_project() -> DbtProject:
    return DbtProject(
        project_dir=PROJECT_DIR,
        profiles_dir=PROJECT_DIR,
        target_path=MANIFEST_DIR,
        target=Settings.from_env().target,
    )


def manifest_path() -> Path:
    return MANIFEST_DIR / "manifest.json"


def is_stale(project_dir: Path = PROJECT_DIR, manifest: Path | None = None) -> bool:
    """True when the manifest is missing or older than any file it is made from."""
    manifest = manifest or manifest_path()
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime_ns
    return any(_newest_mtime(project_dir / name) > built for name in _INPUTS)


def _newest_mtime(path: Path) -> int:
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_mtime_ns
    newest = path.stat().st_mtime_ns  # a deleted file changes its folder's mtime
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime_ns)
            except FileNotFoundError:  # removed while walking
                continue
    return newest


def prepare(*, force: bool = False) -> Path:
    """Compile the registry into dbt models and parse the project; return the manifest path."""
    if not force and not is_stale():
        return manifest_path()
    from segmart.compiler import generated_files, write_generated
    from segmart.dbt_runner import run_dbt
    from segmart.registry import load_registry

    with prepare_lock():
        if force or is_stale():  # else another process prepared it while this one waited
            write_generated(generated_files(load_registry()))
            run_dbt(["parse"], target_path=MANIFEST_DIR)
    return manifest_path()


@contextmanager
def prepare_lock() -> Iterator[None]:
    """Hold the project's prepare lock: processes that load the definitions at once (Dagster's
    code server and run workers, parallel test workers) would otherwise run two `dbt parse` into
    one folder and leave a manifest written by both."""
    MANIFEST_DIR.parent.mkdir(parents=True, exist_ok=True)
    with open(MANIFEST_DIR.parent / "dagster-prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


class StaleGeneratedModels(RuntimeError):
    """The segment models on disk are not what the registry compiles to."""


def require_compiled(project_dir: Path = PROJECT_DIR) -> None:
    """Raise StaleGeneratedModels, naming each stale file and the command to run, when the
    generated segment models differ from what segments/*.yml compiles to (the check of
    `segmart compile --check`)."""
    from segmart.compiler import check_generated, generated_files
    from segmart.registry import load_registry

    registry = load_registry(project_dir / "segments")
    problems = check_generated(generated_files(registry), project_dir)
    if problems:
        raise StaleGeneratedModels(
            "the segment models do not match the registry (segments/*.yml), so runs would build "
            "old definitions:\n"
            + "\n".join(f"  {problem}" for problem in problems)
            + "\nrun `segmart compile` and `python -m orchestration prepare`, then deploy the "
            f"result ({PREPARE_ENV}=0 never writes the project)"
        )


def prepare_on_import(project_dir: Path = PROJECT_DIR) -> None:
    """Prepare when the definitions load, unless SEGMART_DAGSTER_PREPARE=0: a deployment that
    ships the project and a manifest built in CI, where the definitions must not rewrite what
    was shipped (the manifest was parsed from it); there a registry edited without compiling is
    refused instead of built as its old SQL."""
    if os.environ.get(PREPARE_ENV, "1") != "0":
        prepare()
        return
    require_compiled(project_dir)
    if not manifest_path().exists():
        raise FileNotFoundError(
            f"{manifest_path()} is missing and {PREPARE_ENV}=0: "
            "run `python -m orchestration prepare`"
        )


def run_target_path(settings: Settings) -> Path:
    """The dbt target folder of Dagster runs on this warehouse."""
    digest = hashlib.sha1(target_of(settings).warehouse_id.encode()).hexdigest()[:12]
    return RUNS_DIR / digest


def clean_run_folders() -> None:
    shutil.rmtree(RUNS_DIR, ignore_errors=True)


def dbt_executable() -> str:
    """The dbt of this interpreter's environment (a Dagster run may not have .venv/bin on PATH):
    segmart-dbt, which tells dagster-dbt its version without importing dbt (segmart/dbt_cli.py),
    else dbt itself."""
    for name in ("segmart-dbt", "dbt"):
        candidate = Path(sys.executable).parent / name
        if candidate.exists():
            return str(candidate)
    return "dbt"
