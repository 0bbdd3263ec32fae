"""The whole project on Apache Spark (dbt-spark, `session` method) gives what it gives on DuckDB.

The same events (hand-written edge cases of every rule, a Parquet file, raw lines with every kind
of line break, a generated sample: tests/engines_support.py) arrive in two batches. Spark
builds the first batch from nothing and refreshes after the second, reading the raw files itself
(macros/ingest/spark_raw_event_files.sql); DuckDB does the same, and also builds everything in
one go. Every table and view of every layer is compared row for row: after the first build,
after the refresh (refresh history included), and the refresh against DuckDB's full build
(incremental = full refresh).

Needs pyspark (the `spark` extra: pip install -e '.[spark]'; scripts/test.sh installs it) and a
Java runtime. Without them these tests skip, except in CI (CI=true), where they fail. A process
starts one JVM, whose Spark warehouse location is fixed from then on: this module's builds share
it, one after the other.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import jinja2
import pytest
from engines_support import (
    BUILD_THREADS,
    ENGINE_VARS,
    HISTORY_TABLES,
    LAYERS,
    LINE_ENDING_FILES,
    MODELS_ONLY,
    REJECT_REASONS,
    assert_same_table,
    duckdb_build,
    duckdb_tables,
    write_fixture,
)
from segments_support import AS_OF_TEXT, as_of_env
from test_segments_hostile import HOSTILE

from segmart.dbt_runner import DbtCommandError, environment, run_dbt
from segmart.settings import PROJECT_DIR, Settings
from segmart.sql import literal

from conftest import skip_unless_in_ci


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (apt-get install openjdk-17-jre-headless)"
    return None


if _missing():
    skip_unless_in_ci("the Spark engine tests", _missing())

# Spark settings for tiny data and a short-lived JVM (profiles.yml): one shuffle partition, no
# adaptive re-planning, no code generation (each costs a fixed time per query, which dominates on
# a few thousand rows), and only the JVM's quick compiler (the optimizing one costs more CPU than
# it saves in a few minutes). Measured on 2 cores: a build in a third of the time. Same results.
SMALL_DATA = {
    "SEGMART_SPARK_SHUFFLE_PARTITIONS": "1",
    "SEGMART_SPARK_ADAPTIVE": "false",
    "SEGMART_SPARK_CODEGEN": "false",
    "SEGMART_SPARK_JAVA_OPTIONS": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


class SparkWarehouse:
    """The `spark` target of profiles.yml, in this process, reading the files at `events`."""

    def __init__(self, events: Path, spark_dir: Path, target_path: Path) -> None:
        self.settings = Settings(
            events=str(events),
            duckdb_path=spark_dir / "unused.duckdb",
            target="spark",
            spark_dir=spark_dir,
        )
        self.target_path = target_path

    def build(self, *args: str) -> None:
        with as_of_env(AS_OF_TEXT), environment(SMALL_DATA):
            run_dbt(
                ["build", "--threads", BUILD_THREADS, *ENGINE_VARS, *args],
                self.settings,
                target_path=self.target_path,
            )

    @staticmethod
    def session():
        from pyspark.sql import SparkSession

        # dbt-spark started it in this process; this returns that session.
        return SparkSession.builder.getOrCreate()

    def tables(self) -> dict[str, tuple[list[str], list[tuple]]]:
        """Every table and view of every layer: (columns, rows)."""
        spark = self.session()
        tables = {}
        for layer in LAYERS:
            if not spark.catalog.databaseExists(layer):
                continue
            for listed in spark.sql(f"show tables in {layer}").collect():
                if listed.isTemporary:
                    continue
                name = f"{layer}.{listed.tableName}"
                frame = spark.sql(f"select * from {name}")
                rows = [tuple(_naive_utc(value) for value in row) for row in frame.collect()]
                tables[name] = (frame.columns, rows)
        return tables


def _naive_utc(value):
    # pyspark turns a Spark timestamp (an instant) into a naive datetime in the local time zone.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


@contextmanager
def not_arrived(events: Path, files: list[Path], holding: Path) -> Iterator[None]:
    """The files are away from the events folder for the duration, then back at their paths
    (source_file must be the same whichever build reads them)."""
    for path in files:
        away = holding / path.relative_to(events)
        away.parent.mkdir(parents=True, exist_ok=True)
        path.rename(away)
    try:
        yield
    finally:
        for path in files:
            (holding / path.relative_to(events)).rename(path)


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """Tables by build: DuckDB's full build, and for DuckDB and Spark the first batch's build
    and the refresh after the second."""
    root = tmp_path_factory.mktemp("spark-engine")
    events = root / "events"
    files = write_fixture(events)
    second_batch = files[len(files) // 2 :]  # the late file last
    # DuckDB's own tests run elsewhere in the suite: here it only provides the reference rows.
    duckdb_build(events, root / "full.duckdb", root / "target-duckdb", *MODELS_ONLY)
    tables = {"duckdb_full": duckdb_tables(root / "full.duckdb")}

    duck = root / "refreshed.duckdb"
    spark = SparkWarehouse(events, root / "spark", root / "target-spark")
    try:
        with not_arrived(events, second_batch, root / "not-arrived"):
            duckdb_build(events, duck, root / "target-duckdb", *MODELS_ONLY)
            tables["duckdb_first"] = duckdb_tables(duck)
            spark.build(*MODELS_ONLY)
            tables["spark_first"] = spark.tables()
        duckdb_build(events, duck, root / "target-duckdb", *MODELS_ONLY)
        tables["duckdb_refreshed"] = duckdb_tables(duck)
        # Every dbt test (data and unit tests) runs on Spark here.
        spark.build()
        tables["spark_refreshed"] = spark.tables()
        yield tables
    finally:
        spark.session().stop()


# Spark does not inspect raw files (docs/rules.md "Raw files"): its ledger has no hash or line
# counts, and is compared by test_the_ledger_lists_the_same_files_uninspected instead.
LEDGER = "staging.stg_raw_file_ledger"


def assert_same_tables(expected: dict, actual: dict, skip: set[str] = frozenset()) -> None:
    assert sorted(actual) == sorted(expected)
    for name, table in expected.items():
        if name not in skip and name != LEDGER:
            assert_same_table(name, table, actual[name], "Spark")


def test_the_ledger_lists_the_same_files_uninspected(engines):
    def files(table) -> dict:
        columns, rows = table[:2]
        pick = [columns.index(name) for name in ("source_file", "file_size", "status")]
        return {row[pick[0]]: (int(row[pick[1]]), row[pick[2]]) for row in rows}

    expected = engines["duckdb_refreshed"][LEDGER]
    actual = engines["spark_refreshed"][LEDGER]
    assert files(actual) == files(expected)
    columns, rows = actual[:2]
    for name in ("content_hash", "physical_lines", "blank_lines", "error"):
        assert {row[columns.index(name)] for row in rows} == {None}, name


def test_a_first_build_on_spark_equals_duckdb(engines):
    expected = engines["duckdb_first"]
    assert "segments.segment_memberships" in expected
    assert "reports.segment_funnel" in expected
    assert {"reports.funnel_checkout", "reports.funnel_purchase"} <= set(expected)
    assert len(expected) > 40
    assert len(expected["staging.stg_events"][1]) > 5_000
    assert_same_tables(expected, engines["spark_first"])


def test_every_table_after_a_refresh_equals_duckdb(engines):
    expected = engines["duckdb_refreshed"]
    assert len(expected["staging.stg_events"][1]) > 15_000
    # Both refreshes recorded who entered and exited at each of the two builds.
    columns, rows = expected["segments.segment_membership_changes"][:2]
    assert {row[columns.index("change")] for row in rows} == {"entered", "exited"}
    assert_same_tables(expected, engines["spark_refreshed"])


def test_incremental_refresh_on_spark_equals_full_refresh(engines):
    assert_same_tables(engines["duckdb_full"], engines["spark_refreshed"], skip=HISTORY_TABLES)


def test_raw_lines_are_numbered_alike(engines):
    for build in ("duckdb_full", "spark_refreshed"):
        columns, rows = engines[build]["staging.stg_events_landed"][:2]
        file, line, message = (
            columns.index(name) for name in ("source_file", "source_line", "message_id")
        )
        numbered = {name: {} for name in LINE_ENDING_FILES}
        for row in rows:
            if (name := Path(row[file]).name) in numbered:
                numbered[name][row[line]] = row[message]
        assert numbered == LINE_ENDING_FILES, build


def test_rejects_and_parquet_rows_agree(engines):
    columns, rows = engines["spark_refreshed"]["staging.stg_events_rejected"]
    assert {row[columns.index("reject_reason")] for row in rows} == REJECT_REASONS
    columns, rows = engines["spark_refreshed"]["staging.stg_events_landed"]
    files = [row[columns.index("source_file")] for row in rows]
    assert sum(name.endswith(".parquet") for name in files) == 30


def test_hostile_text_reads_back_unchanged_on_spark(engines):
    """Quotes, backslashes, Jinja and line breaks in registry values (segmart.sql.literal) and in
    macro values (spark__sql_string: sql_string.sql's backslash_escaped_string) are data on Spark:
    each literal reads back as the value."""
    jinja = jinja2.Environment(autoescape=False, extensions=["jinja2.ext.do"])
    engine_dir = PROJECT_DIR / "macros" / "engine"
    quoting = jinja.from_string((engine_dir / "sql_string.sql").read_text()).module
    segmart = SimpleNamespace(backslash_escaped_string=quoting.backslash_escaped_string)
    macros = jinja.from_string((engine_dir / "spark.sql").read_text(), globals={"segmart": segmart})
    values = list(HOSTILE.values())
    quoted = {
        "registry": [literal(value) for value in values],
        "macro": [str(macros.module.spark__sql_string(value)).strip() for value in values],
    }
    spark = SparkWarehouse.session()
    for path, literals in quoted.items():
        columns = ", ".join(f"{text} as v{i}" for i, text in enumerate(literals))
        [row] = spark.sql(f"select {columns}").collect()
        assert list(row) == values, path


# Text a registry condition may cast to a timestamp (a property value): DuckDB's reading is the
# reference. Known difference outside these: an offset after minutes without seconds (10:00Z).
TIMESTAMP_TEXTS = (
    "2024-05-20T10:00:00+02:00",
    "2024-05-20T10:00:00Z",
    "2024-05-20T10:00:00.250-0530",
    "2024-05-20 10:00:00-05",
    "2024-05-20 10:00:00",
    "2024-05-20 10:00",
    "2024-05-20",
    " 2024-05-20",
    " 2024-05-20 ",
    "2024-05-20 10:00:00 ",
    "2024-5-2 9:00:00",
    "2024",
    "2024-05",
    "yesterday",
    "",
)


def test_text_casts_to_a_timestamp_as_on_duckdb(engines, tmp_path):
    """segmart.try_cast(..., 'timestamp') on Spark: only text that starts like a date, an offset
    dropped with the wall time kept (Spark's own cast reads '2024' and converts offsets)."""
    casts = ", ".join(
        f"{{{{ segmart.try_cast({literal(text)!r}, 'timestamp') }}}} as t{i}"
        for i, text in enumerate(TIMESTAMP_TEXTS)
    )

    def compiled(settings: Settings) -> str:
        result = run_dbt(
            ["compile", "--inline", f"select {casts}"], settings, target_path=tmp_path / "target"
        )
        return result.result.results[0].node.compiled_code

    in_memory = Settings(events="unused", duckdb_path=tmp_path / "unused.duckdb", target="lint")
    expected = duckdb.sql(compiled(in_memory)).fetchone()
    spark = Settings(
        events="unused", duckdb_path=tmp_path / "unused.duckdb", target="spark", spark_dir=tmp_path
    )
    [row] = SparkWarehouse.session().sql(compiled(spark)).collect()
    assert [_naive_utc(value) for value in row] == list(expected)
    assert expected[0] == datetime(2024, 5, 20, 10) and expected[-4:] == (None,) * 4


def test_a_location_without_event_files_fails_the_build(engines, tmp_path):
    """A wrong SEGMART_EVENTS fails Spark's build naming it, as on DuckDB (docs/rules.md "Raw
    event location"): a folder without event files, and a path that does not exist. After the
    module's builds, in their JVM (one per process)."""
    folder = tmp_path / "not-events"
    folder.mkdir()
    (folder / "notes.csv").write_text("not,events\n")
    nowhere = tmp_path / "nowhere"
    errors = {}
    for location in (folder, nowhere):
        spark = SparkWarehouse(location, tmp_path / "spark", tmp_path / "target-spark")
        with pytest.raises(DbtCommandError) as error:
            spark.build("--select", "stg_events_landed", "--full-refresh")
        errors[location] = str(error.value)
    assert f"no raw event file at SEGMART_EVENTS={folder}" in errors[folder]
    assert str(nowhere) in errors[nowhere]
