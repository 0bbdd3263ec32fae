"""A throwaway copy of the dbt project: tests and benchmarks compile their own registries into
it without touching the real models/segments/generated/."""

from __future__ import annotations

import shutil
from pathlib import Path

from segmart.settings import PROJECT_DIR

PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_FOLDERS = ("models", "macros", "seeds", Path("tests") / "dbt")


def copy_project(destination: Path, source: Path = PROJECT_DIR) -> Path:
    """Copy what dbt needs to build the project into `destination` (created); returns it."""
    destination.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy2(source / name, destination / name)
    for folder in PROJECT_FOLDERS:
        shutil.copytree(source / folder, destination / folder)
    return destination
