"""A wrong setting is an error that names it, never an empty success (docs/rules.md "Raw event
location", README "Configuration").

- SEGMART_EVENTS naming nothing (a path that does not exist, a folder without JSON lines or
  Parquet files) fails the build with the path named, and the warehouse keeps what it held; an
  incremental run that finds no new file is normal; SEGMART_ALLOW_EMPTY_EVENTS=1 (or
  `segmart build --allow-empty-events`) allows an empty build.
- `segmart build` compiles the segment registry first, so an edited segments/*.yml is what gets
  built, not the SQL the last `segmart compile` left.

The raw-location tests share one warehouse and run in file order (each starts where the last
ended)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from segmart import cli
from segmart.dbt_runner import DbtCommandError, run_dbt
from segmart.project_copy import PROJECT_FILES, PROJECT_FOLDERS
from segmart.sample_data import GeneratorConfig, generate
from segmart.settings import PROJECT_DIR, Settings
from segmart.targets import no_raw_events_message


def count(duckdb_path: Path, sql: str) -> int:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchone()[0]


def no_events_error(location: Path) -> str:
    return f"no raw event file at SEGMART_EVENTS={location} (it does not exist or holds no JSON"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A warehouse built by `segmart build` from 400 sample events; yields its folder."""
    root = tmp_path_factory.mktemp("wrong_settings")
    generate(root / "events", GeneratorConfig(events=400, days=2, seed=5, start=date(2026, 10, 1)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEGMART_EVENTS", str(root / "events"))
        patch.setenv("SEGMART_DUCKDB", str(root / "segmart.duckdb"))
        patch.delenv("SEGMART_ALLOW_EMPTY_EVENTS", raising=False)
        assert cli.main(["build", "--no-publish"]) == 0
    return root


@pytest.fixture
def segmart(built, monkeypatch, capsys):
    """Run `segmart <args>` with SEGMART_EVENTS=events on the built warehouse (or `warehouse`);
    returns (exit code, stderr)."""

    def run(*args: str, events: Path, warehouse: Path | None = None) -> tuple[int, str]:
        monkeypatch.setenv("SEGMART_EVENTS", str(events))
        monkeypatch.setenv("SEGMART_DUCKDB", str(warehouse or built / "segmart.duckdb"))
        monkeypatch.delenv("SEGMART_ALLOW_EMPTY_EVENTS", raising=False)
        capsys.readouterr()
        code = cli.main(list(args))
        return code, capsys.readouterr().err

    return run


def test_a_full_refresh_from_a_location_that_does_not_exist_fails_and_keeps_the_warehouse(
    built, segmart
):
    sessions = count(built / "segmart.duckdb", "select count(*) from marts.sessions")
    assert sessions > 10
    nowhere = built / "evnets"  # a typo
    code, err = segmart("build", "--full-refresh", "--no-publish", events=nowhere)
    assert code == 1
    assert no_events_error(nowhere) in err and "SEGMART_ALLOW_EMPTY_EVENTS=1" in err
    assert count(built / "segmart.duckdb", "select count(*) from marts.sessions") == sessions


def test_an_incremental_run_that_finds_no_new_file_is_fine(built, segmart):
    code, err = segmart("build", "--no-publish", events=built / "events")
    assert code == 0, err


def test_an_incremental_run_from_a_location_that_does_not_exist_fails(built, segmart):
    nowhere = built / "moved-away"
    code, err = segmart("build", "--no-publish", "--select", "stg_events_landed", events=nowhere)
    assert code == 1 and no_events_error(nowhere) in err


def test_a_first_build_from_a_folder_without_event_files_fails(built, segmart):
    folder = built / "not-events"
    folder.mkdir()
    (folder / "README.txt").write_text("events go one folder down\n")
    code, err = segmart(
        "build",
        "--no-publish",
        "--select",
        "+stg_events_landed",  # with the raw file ledger it reads
        events=folder,
        warehouse=built / "fresh.duckdb",
    )
    assert code == 1 and no_events_error(folder) in err


def test_plain_dbt_build_fails_the_same_way(built):
    nowhere = built / "nowhere"
    settings = Settings(events=str(nowhere), duckdb_path=built / "plain.duckdb")
    with pytest.raises(DbtCommandError) as error:
        run_dbt(["build", "--select", "+stg_events_landed"], settings)
    # Word for word what the PostgreSQL loader raises (one message, in dbt_project.yml).
    assert no_raw_events_message(str(nowhere)) in str(error.value)


def test_commands_that_write_nothing_render_an_empty_location(built):
    """`dbt compile` (and sqlfluff's dbt templater, which lints models where no events are at
    hand) renders the model rather than failing: only a build can empty the warehouse."""
    settings = Settings(events=str(built / "nowhere"), duckdb_path=built / "compiled.duckdb")
    assert run_dbt(["compile", "--select", "stg_events_landed"], settings).success


def test_an_empty_build_is_allowed_when_asked(built, segmart):
    nowhere = built / "nothing-yet"
    empty = built / "empty.duckdb"
    code, err = segmart(
        "build", "--no-publish", "--allow-empty-events", events=nowhere, warehouse=empty
    )
    assert code == 0, err
    assert count(empty, "select count(*) from marts.sessions") == 0

    # The variable does the same, for segmart and plain dbt alike.
    settings = Settings(events=str(nowhere), duckdb_path=empty, allow_empty_events=True)
    run_dbt(["build", "--select", "stg_events_landed", "--full-refresh"], settings)
    assert Settings.from_env({"SEGMART_ALLOW_EMPTY_EVENTS": "1"}).allow_empty_events


def test_the_allow_empty_variable_takes_1_or_0_only(monkeypatch, capsys):
    monkeypatch.setenv("SEGMART_ALLOW_EMPTY_EVENTS", "yes")
    assert cli.main(["build", "--no-publish"]) == 1
    assert (
        "SEGMART_ALLOW_EMPTY_EVENTS='yes': set it to 1 (on) or 0 (off)" in capsys.readouterr().err
    )


# --- the registry is compiled before a build ------------------------------------------------------


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The whole project (dbt project, registry, Python packages) in a temporary folder, so a
    `segmart build` there compiles into the copy, never into the real generated models."""
    root = tmp_path / "project"
    root.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(PROJECT_DIR / name, root / name)
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in (*PROJECT_FOLDERS, "segments", "segmart", "orchestration"):
        shutil.copytree(PROJECT_DIR / folder, root / folder, ignore=ignore)
    return root


def segmart_in(project: Path, *args: str, events: Path) -> subprocess.CompletedProcess:
    """`segmart <args>` run by the project copy's own code (so its PROJECT_DIR is the copy)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(project),
        "SEGMART_EVENTS": str(events),
        "SEGMART_DUCKDB": str(project / "warehouse" / "segmart.duckdb"),
    }
    env.pop("SEGMART_ALLOW_EMPTY_EVENTS", None)
    command = [sys.executable, "-m", "segmart.cli", *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def test_build_compiles_an_edited_segment_before_building_it(project_copy, built):
    registry_file = project_copy / "segments" / "desktop.yml"
    registry_file.write_text(registry_file.read_text().replace("equals: desktop", "equals: mobile"))

    done = segmart_in(project_copy, "build", "--no-publish", events=built / "events")
    assert done.returncode == 0, done.stderr
    assert "changed file(s) of the segment registry first" in done.stdout
    generated = project_copy / "models" / "segments" / "generated" / "seg_desktop.sql"
    assert "= 'mobile'" in generated.read_text()
    warehouse = project_copy / "warehouse" / "segmart.duckdb"
    members = count(warehouse, "select count(*) from segments.desktop")
    mobile = count(warehouse, "select count(*) from marts.sessions where device_type = 'mobile'")
    assert members == mobile > 0


def test_build_refuses_an_invalid_registry_before_dbt_runs(project_copy, built):
    registry_file = project_copy / "segments" / "desktop.yml"
    registry_file.write_text(registry_file.read_text().replace("device_type", "device_typ"))
    done = segmart_in(project_copy, "build", "--no-publish", events=built / "events")
    assert done.returncode == 1
    assert "segments/desktop.yml" in done.stdout and "device_typ" in done.stdout
    assert not (project_copy / "warehouse" / "segmart.duckdb").exists()


def test_demo_compiles_the_registry_first_too(project_copy, built):
    registry_file = project_copy / "segments" / "desktop.yml"
    registry_file.write_text(registry_file.read_text().replace("device_type", "device_typ"))
    done = segmart_in(project_copy, "demo", events=built / "events")
    assert done.returncode == 1
    assert "segments/desktop.yml" in done.stdout and "device_typ" in done.stdout
    assert not (project_copy / "warehouse" / "segmart.duckdb").exists()


def test_a_server_side_load_that_finds_nothing_names_the_location(tmp_path, dbt_target_path):
    """Snowflake and BigQuery load raw files server-side (load_raw_events): a load that leaves
    raw.segment_events without a row is the configuration error naming the location. The check
    is engine-neutral SQL, run here on a real DuckDB raw table (the cloud engines cannot be
    reached from CI)."""
    warehouse = tmp_path / "segmart.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema raw")
        connection.execute("create table raw.segment_events (source_file varchar)")
    settings = Settings(events=str(tmp_path / "events"), duckdb_path=warehouse)
    check = ["run-operation", "require_loaded_raw_events", "--args", '{location: "@stage/x/"}']
    with pytest.raises(DbtCommandError) as error:
        run_dbt(check, settings, target_path=dbt_target_path)
    assert "no raw event file at SEGMART_EVENTS=@stage/x/ (it does not exist" in str(error.value)

    allowed = Settings(events=settings.events, duckdb_path=warehouse, allow_empty_events=True)
    run_dbt(check, allowed, target_path=dbt_target_path)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("insert into raw.segment_events values ('@stage/x/a.jsonl')")
    run_dbt(check, settings, target_path=dbt_target_path)
