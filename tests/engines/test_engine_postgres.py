"""The whole project on PostgreSQL (dbt-postgres) gives what it gives on DuckDB, table by table.

The same events (hand-written edge cases, a Parquet file and a generated sample) are built on a
DuckDB file and on a fresh PostgreSQL database, and every table and view of every layer is
compared row for row (tests/engines_support.py).
An incremental refresh on PostgreSQL equals its full refresh, and BI's read-only role can read
the marts, segments and reports but write nothing.

Needs a PostgreSQL server: `eval "$(bash scripts/postgres.sh start)"` (scripts/test.sh does it).
Without SEGMART_PG_HOST these tests skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from engines_support import (
    HISTORY_TABLES,
    MODELS_ONLY,
    READ_ERROR_REASONS,
    REJECT_REASONS,
    assert_same_table,
    duckdb_build,
    duckdb_tables,
    write_fixture,
)
from segments_support import AS_OF_TEXT, as_of_env

from segmart.dbt_runner import environment, run_dbt
from segmart.serving import serving_path
from segmart.settings import PROJECT_DIR, Settings
from segmart.targets import target_of

from conftest import require_postgres_server

HOSTILE = Path(__file__).parent.parent / "hostile"
HOSTILE_EXPECTED = yaml.safe_load((HOSTILE / "expected.yml").read_text())

require_postgres_server()

psycopg2 = pytest.importorskip("psycopg2")
from postgres_support import PostgresWarehouse  # noqa: E402  (needs psycopg2)

# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """(DuckDB tables, the full-build Postgres warehouse, the incrementally built one)."""
    root = tmp_path_factory.mktemp("engines")
    events = root / "events"
    files = write_fixture(events, bad_lines=True)
    duck_path = root / "segmart.duckdb"
    duckdb_build(events, duck_path, root / "target-duckdb")
    expected = duckdb_tables(duck_path)

    full = PostgresWarehouse(events, root / "target-postgres")
    incremental = PostgresWarehouse(events, root / "target-postgres")
    try:
        # Left by a version that called reports analyses: the build drops the retired table.
        with full._connect() as connection, connection.cursor() as cursor:
            cursor.execute("create schema analyses")
            cursor.execute("create table analyses.segment_funnel as select 1 as stale")
            cursor.execute("create table analyses.someone_elses as select 1 as kept")
        full.build()
        # Incremental: the files arrive in two batches (the late file last), a refresh after each.
        batches = (files[: len(files) // 2], files[len(files) // 2 :])
        for batch in batches:
            for path in batch:
                incremental.load(path)
            # The full build runs every dbt test; these refreshes are checked table by table.
            incremental.build(*MODELS_ONLY, load=False)
        yield expected, full, incremental
    finally:
        full.drop()
        incremental.drop()


# --- tests ---------------------------------------------------------------------------------------


def test_every_table_on_postgres_equals_duckdb(engines):
    expected, full, _ = engines
    assert "segments.segment_memberships" in expected
    assert "reports.segment_funnel" in expected
    assert {"reports.funnel_checkout", "reports.funnel_purchase"} <= set(expected)
    assert len(expected) > 40
    assert len(expected["staging.stg_events"][1]) > 15_000
    for name, table in expected.items():
        assert_same_table(name, table, full.query(f"select * from {name}"), "PostgreSQL")


def test_rejects_and_parsing_edge_cases_agree(engines):
    _, full, _ = engines
    reasons = {
        row[0] for row in full.query("select reject_reason from staging.stg_events_rejected")[1]
    }
    assert reasons == REJECT_REASONS | READ_ERROR_REASONS
    _, rows = full.query(
        "select count(*) from staging.stg_events_landed where source_file like '%.parquet'"
    )
    assert rows == [(30,)]


def test_incremental_refresh_on_postgres_equals_full_refresh(engines):
    expected, _, incremental = engines
    for name, table in expected.items():
        if name in HISTORY_TABLES:
            continue
        assert_same_table(name, table, incremental.query(f"select * from {name}"), "PostgreSQL")


def test_bi_role_reads_marts_segments_reports_and_writes_nothing(engines):
    _, full, _ = engines
    with full._connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            "do $$ begin if not exists (select from pg_roles where rolname = 'segmart_bi') then "
            "create role segmart_bi login; end if; end $$"
        )
        cursor.execute("grant segmart_reader to segmart_bi")
    reader = full._connect(user="segmart_bi")
    try:
        reader.autocommit = True
        with reader.cursor() as cursor:
            # Personal data (dbt_project.yml segmart_personal_data_columns) is withheld, the
            # rest of the table is not.
            cursor.execute("select visitor_id, plan from marts.users")
            cursor.execute("select visitor_id, user_id from segments.onboarding_stalled")
            for relation in (
                "marts.sessions",
                "marts.events",
                "segments.segment_memberships",
                "segments.high_intent",
                "reports.segment_funnel",
            ):
                cursor.execute(f"select count(*) from {relation}")
                assert cursor.fetchone()[0] >= 0
            # Nor its rows in the shared tables (the fixture gives it no member: one is added).
            with full._connect() as owner, owner.cursor() as owner_cursor:
                owner_cursor.execute(
                    "insert into segments.segment_memberships select (jsonb_populate_record("
                    "null::segments.segment_memberships, to_jsonb(m) || "
                    """'{"segment_name": "churn_risk"}')).* from segments.segment_memberships m """
                    "where segment_name = 'onboarding_stalled' limit 1"
                )
            for relation in (
                "segments.segment_memberships",
                "segments.segment_definitions",
                "segments.segment_catalog",
            ):
                rows = f"select count(*) from {relation} where segment_name = "
                cursor.execute(rows + "'churn_risk'")
                assert cursor.fetchone()[0] == 0, relation
                assert full.query(rows + "'churn_risk'")[1] == [(1,)], relation
                cursor.execute(rows + "'onboarding_stalled'")
                assert cursor.fetchone()[0] > 0, relation
            # The same policy on every shared table; the views over them check it as the
            # reader, so the union of every segment table, private ones too, is refused.
            _, policies = full.query(
                "select schemaname || '.' || tablename from pg_policies "
                "where policyname = 'segmart_reader_public' and qual like '%churn_risk%'"
            )
            assert {name for (name,) in policies} >= {
                "segments.segment_memberships",
                "segments.segment_membership_changes",
                "segments.segment_catalog",
                "reports.segment_daily_metrics",
                "reports.segment_overlap",
                "reports.funnel_purchase",
                "reports.segment_funnel",
            }
            cursor.execute("select count(*) from segments.segment_membership_history")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute("select count(*) from segments.segment_members_current")
            with full._connect() as owner, owner.cursor() as owner_cursor:
                owner_cursor.execute(
                    "delete from segments.segment_memberships where segment_name = 'churn_risk'"
                )
            for statement in (
                "delete from marts.sessions",
                "insert into segments.segment_memberships (segment_name) values ('x')",
                "create table marts.scratch (x int)",
                "drop table reports.segment_funnel",
                "select count(*) from staging.stg_events",
                # visibility: private (segments/churn_risk.yml): its table is granted to no one.
                "select count(*) from segments.churn_risk",
                "select email from marts.users",
                "select * from marts.users",
                "select latest_traits from marts.users",
                "select email from segments.onboarding_stalled",
                "select traits from marts.events",
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cursor.execute(statement)
    finally:
        reader.close()


def test_a_build_drops_the_retired_analyses_tables_and_nothing_else(engines):
    _, full, _ = engines
    _, rows = full.query(
        "select to_regclass('analyses.segment_funnel') is null,"
        " to_regclass('analyses.someone_elses') is not null,"
        " to_regclass('reports.segment_funnel') is not null"
    )
    assert rows == [(True, True, True)]


def test_a_full_refresh_keeps_membership_history_and_reset_history_drops_it(engines):
    """The change feed is state on PostgreSQL too: a full refresh over the same data records no
    change and keeps every row; only the reset operation `segmart reset-history --yes` runs
    deletes it. (Runs last on `full`: it changes that warehouse.)"""
    _, full, _ = engines
    feed = "select * from segments.segment_membership_changes order by 1, 3, 5"
    _, before = full.query(feed)
    assert before
    full.build("--full-refresh", *MODELS_ONLY, load=False)
    assert full.query(feed)[1] == before

    with environment({"SEGMART_PG_DBNAME": full.dbname}):
        run_dbt(
            ["run-operation", "reset_membership_history", "--args", "{confirm: true}"],
            full.settings(full.events),
            target_path=full.target_path,
        )
    _, rows = full.query("select to_regclass('segments.segment_membership_changes')")
    assert rows == [(None,)]


def test_a_dagster_refresh_on_postgres_lands_the_files_and_publishes_no_duckdb_file(tmp_path):
    """Dagster's refresh of the foundation on the postgres target: the raw files are loaded
    first (PostgreSQL cannot read them), the marts are built there, and no DuckDB file is
    counted or published (another engine serves its readers itself)."""
    from dagster import AssetKey, DagsterInstance

    from orchestration.definitions import build_definitions

    events = tmp_path / "events"
    write_fixture(events, sample=False)
    (events / "notes.csv").write_text("not,events\n")
    warehouse = PostgresWarehouse(events, tmp_path / "target-postgres")
    settings = Settings(
        events=str(events), duckdb_path=tmp_path / "segmart.duckdb", target="postgres"
    )
    try:
        with environment({"SEGMART_PG_DBNAME": warehouse.dbname}), as_of_env(AS_OF_TEXT):
            result = (
                build_definitions(settings)
                .resolve_job_def("refresh_foundation")
                .execute_in_process(instance=DagsterInstance.ephemeral())
            )
            again = target_of(settings).land_raw_events()
        assert result.success
        # Nothing new the second time; the file segmart does not read is named, never dropped
        # silently.
        assert again == (
            "loaded 0 new raw rows into PostgreSQL; skipped 1 file(s) that are neither JSON lines"
            f" nor Parquet: {events / 'notes.csv'}"
        )
        (raw_lines,) = warehouse.query("select count(*) from raw.segment_events")[1][0]
        (landed,) = warehouse.query("select count(*) from staging.stg_events_landed")[1][0]
        (sessions,) = warehouse.query("select count(*) from marts.sessions")[1][0]
        assert raw_lines == landed > 0 and sessions > 0
        built = {
            event.step_materialization_data.materialization.asset_key: (
                event.step_materialization_data.materialization.metadata
            )
            for event in result.get_asset_materialization_events()
        }
        assert AssetKey(["marts", "sessions"]) in built
        assert all("dagster/row_count" not in metadata for metadata in built.values())
        assert not settings.duckdb_path.exists()
        assert not serving_path(settings, environ={}).exists()
    finally:
        warehouse.drop()


def test_a_location_without_event_files_is_an_error_before_dbt_runs(tmp_path):
    """PostgreSQL's dbt reads raw.segment_events, not the location, so segmart checks what its
    loader listed: no JSON lines or Parquet file there fails `segmart build` and a Dagster run
    (at once, without retries), unless SEGMART_ALLOW_EMPTY_EVENTS=1."""
    from dataclasses import replace

    from dagster import DagsterEventType, DagsterInstance

    from orchestration.definitions import build_definitions
    from segmart.settings import ConfigurationError

    folder = tmp_path / "events"
    folder.mkdir()
    (folder / "notes.csv").write_text("not,events\n")
    warehouse = PostgresWarehouse(folder, tmp_path / "target-postgres")
    settings = Settings(
        events=str(folder), duckdb_path=tmp_path / "segmart.duckdb", target="postgres"
    )
    try:
        with environment({"SEGMART_PG_DBNAME": warehouse.dbname}):
            with pytest.raises(ConfigurationError) as error:
                target_of(settings).land_raw_events()
            assert f"no raw event file at SEGMART_EVENTS={folder}" in str(error.value)
            assert (
                target_of(replace(settings, allow_empty_events=True))
                .land_raw_events()
                .startswith("loaded 0 new raw rows")
            )
            result = (
                build_definitions(settings)
                .resolve_job_def("refresh_foundation")
                .execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
            )
        assert not result.success
        kinds = [event.event_type for event in result.all_events]
        assert DagsterEventType.STEP_UP_FOR_RETRY not in kinds
        (failure,) = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
        assert f"SEGMART_EVENTS={folder}" in failure.event_specific_data.error.message
    finally:
        warehouse.drop()


def test_forget_removes_a_person_from_every_table_and_later_builds(engines):
    """docs/security.md "Deletion", on PostgreSQL: the same operation as `segmart forget`."""
    _, full, _ = engines
    _, rows = full.query("select user_id from marts.users where email is not null limit 1")
    person = rows[0][0]
    request = json.dumps({"user_ids": [person]})
    with environment({"SEGMART_PG_DBNAME": full.dbname}):
        run_dbt(
            ["run-operation", "forget", "--args", '{"confirm": true}'],
            full.settings(full.events),
            target_path=full.target_path,
            environ={"SEGMART_FORGET_REQUEST": request},
        )
    assert _mentions(full, person) == {}
    _, suppressed = full.query(
        "select identity_kind, identity_source from privacy.suppressed_identities"
    )
    assert ("user_id", "requested") in suppressed
    assert {kind for kind, _ in suppressed} >= {"user_id", "email"}

    full.build(*MODELS_ONLY)
    assert _mentions(full, person) == {}
    _, landed = full.query(
        "select count(*), count(raw_message) from staging.stg_events_landed "
        "where reject_reason = 'suppressed'"
    )
    assert landed[0][0] > 0 and landed[0][1] == 0


def _mentions(warehouse: PostgresWarehouse, text: str) -> dict[str, int]:
    """Rows of each table or view in segmart's schemas (but the suppression list) that mention
    the text in any column."""
    _, relations = warehouse.query(
        "select table_schema, table_name from information_schema.tables where table_schema in "
        "('staging', 'intermediate', 'marts', 'segments', 'reports')"
    )
    found = {}
    for schema, table in relations:
        _, rows = warehouse.query(
            f'select count(*) from "{schema}"."{table}" as t where t::text like '
            + "'%"
            + text.replace("'", "''")
            + "%'"
        )
        if rows[0][0]:
            found[f"{schema}.{table}"] = rows[0][0]
    return found


def test_personal_data_lines_reject_as_on_duckdb(tmp_path):
    """tests/hostile's personal_data.jsonl: a raw NUL byte (which PostgreSQL text cannot hold,
    so COPY failed the whole load) lands as the same invalid_json reject as on DuckDB, and
    every other line with the reason tests/hostile/expected.yml gives it."""
    name = "personal_data.jsonl"
    events = tmp_path / "events"
    events.mkdir()
    shutil.copy(HOSTILE / "events" / name, events / name)
    warehouse = PostgresWarehouse(events, tmp_path / "target")
    log = PROJECT_DIR / "logs" / "dbt.log"
    start = log.stat().st_size if log.exists() else 0
    try:
        warehouse.build("--select", "+stg_events_duplicates", "stg_events_rejected")
        with log.open("rb") as handle:
            handle.seek(start)
            assert b"personal-mail.example" not in handle.read()
        _, rows = warehouse.query(
            "select source_line, reject_reason from staging.stg_events_rejected order by 1"
        )
    finally:
        warehouse.drop()
    assert dict(rows) == HOSTILE_EXPECTED["events"][name]["rejected"]
