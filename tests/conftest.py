"""Shared fixtures: build the real dbt project into a throwaway DuckDB file and query it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import duckdb
import pytest

from segmart.dbt_runner import run_dbt
from segmart.settings import PROJECT_DIR, Settings

# Slowest kinds first: scripts/test.sh runs modules on parallel workers (pytest-xdist, a module
# to a worker), and a long module started last would run alone at the end.
KINDS = ("engines", "orchestration", "ui", "duckdb", "unit")


def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        # dbt runs that name no target folder (the CLI's, as users run it) write the project's
        # target/; parallel workers each get their own, as two checkouts would.
        os.environ.setdefault("DBT_TARGET_PATH", str(PROJECT_DIR / "target" / f"pytest-{worker}"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test's kind is its folder (tests/<kind>/), so `pytest -m <kind>` runs one kind."""
    for item in items:
        kind = item.path.parent.name
        if kind not in KINDS:
            raise pytest.UsageError(f"{item.path}: test modules live in tests/<kind>/: {KINDS}")
        item.add_marker(kind)
    items.sort(key=lambda item: KINDS.index(item.path.parent.name))  # stable: modules stay whole


@dataclass
class Warehouse:
    """A DuckDB warehouse built from the events in `events_dir` by the real dbt project."""

    events_dir: Path
    duckdb_path: Path
    target_path: Path

    @property
    def settings(self) -> Settings:
        return Settings(events=str(self.events_dir), duckdb_path=self.duckdb_path)

    def dbt(self, *args: str):
        return run_dbt(list(args), self.settings, target_path=self.target_path)

    def build(self, *args: str):
        return self.dbt("build", *args)

    def query(self, sql: str, params: Iterable | None = None) -> list[tuple]:
        # Close the connection at once: DuckDB lets dbt write only when no one else holds the file.
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            return connection.execute(sql, list(params or [])).fetchall()

    def query_dicts(self, sql: str) -> list[dict]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            relation = connection.sql(sql)
            names = relation.columns
            return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def skip_unless_in_ci(tests: str, missing: str) -> NoReturn:
    """Skip `tests` when something they need is missing here, but fail in CI (CI=true), where
    every test must run (scripts/test.sh installs what they need)."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run {tests}: {missing}", pytrace=False)
    pytest.skip(missing, allow_module_level=True)


def require_postgres_server() -> None:
    """Skip the calling module without a PostgreSQL server (scripts/postgres.sh starts one), except
    in CI, where it fails."""
    if not os.environ.get("SEGMART_PG_HOST"):
        skip_unless_in_ci(
            "the PostgreSQL engine tests",
            "no PostgreSQL server: SEGMART_PG_HOST is not set "
            '(eval "$(bash scripts/postgres.sh start)" starts one)',
        )


def write_events(path: Path, messages: Iterable[dict | str]) -> Path:
    """Write messages as newline-delimited JSON; a str is written as a raw (maybe broken) line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [m if isinstance(m, str) else json.dumps(m) for m in messages]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def dbt_target_path(tmp_path_factory) -> Path:
    # One dbt target folder for the whole session lets dbt reuse its parse between builds.
    return tmp_path_factory.mktemp("dbt-target")


@pytest.fixture
def make_warehouse(tmp_path_factory, dbt_target_path):
    def factory(name: str = "warehouse") -> Warehouse:
        root = tmp_path_factory.mktemp(name)
        events_dir = root / "events"
        events_dir.mkdir()
        return Warehouse(events_dir, root / "segmart.duckdb", dbt_target_path)

    return factory
