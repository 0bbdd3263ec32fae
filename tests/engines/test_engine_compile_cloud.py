"""The whole project compiles for Snowflake and BigQuery, and what dbt would send them is their SQL.

No Snowflake or BigQuery server can be reached here. dbt compiles every node with the real
dbt-snowflake / dbt-bigquery adapter and its macros, offline (tests/offline_compile.py: relation
listings answered from a stated warehouse, any connection refused): once for an empty warehouse
(full builds) and once for a built one (incremental models' incremental branches). The project is
a copy holding the starter segments, a segment for every registry operator and condition type
(tests/duckdb/test_segments_operators.py) and hostile values
(tests/duckdb/test_segments_hostile.py).

Every compiled model and data test must parse with sqlglot in the engine's dialect and call only
functions and cast only to types that engine has (tests/engine_sql.py); contract types and
incremental strategies must be the engine's too. The checks are shown to fail on DuckDB's SQL.

Needs the cloud adapters (`pip install -e '.[cloud]'`; scripts/test.sh installs them): without
them these tests skip, except in CI, where they fail. About a minute (the engines compile at
once, in two processes; measured 70 s wall, 86 s CPU on 2 busy cores).
"""

from __future__ import annotations

import multiprocessing
import re
import shutil
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pytest
from dbt.adapters.contracts.connection import Connection
from engine_sql import ENGINES, sql_problems, strategy_problems, type_problems
from offline_compile import (
    ADAPTERS,
    OFFLINE_ENV,
    ConnectionAttempted,
    OfflineCompile,
    compile_offline,
    offline_adapter,
)
from segments_support import SegmentProject
from test_segments_hostile import hostile_segments
from test_segments_operators import CASES, LISTS

from segmart.dbt_runner import DbtCommandError, environment, run_dbt
from segmart.registry import load_registry
from segmart.settings import PROJECT_DIR, Settings
from segmart.targets import target_of

from conftest import skip_unless_in_ci

for adapter in ("snowflake", "bigquery"):
    try:
        __import__(f"dbt.adapters.{adapter}")
    except ImportError:
        skip_unless_in_ci(
            "the cloud compile tests", f"dbt-{adapter} is not installed (pip install -e '.[cloud]')"
        )

LAYERS = ("staging", "intermediate", "marts", "segments", "reports")
# Where `dbt run-operation load_raw_events` reads raw event files (docs/engines.md).
RAW_EVENT_LOCATIONS = {
    "snowflake": ("@segment_stage/events/",),
    "bigquery": ("gs://segment-export/events/*.jsonl.gz", "gs://segment-export/events/*.parquet"),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> SegmentProject:
    """The project with the starter segments, every operator case and the hostile values."""
    project = SegmentProject.create(tmp_path_factory.mktemp("cloud-compile"))
    for path in (PROJECT_DIR / "segments").glob("*.yml"):
        shutil.copy2(path, project.segments_dir / path.name)
    project.write_segments([case.entry() for case in CASES] + hostile_segments())
    for name, text in LISTS.items():
        project.write_list(name, text)
    project.compile()
    # A time zone other than UTC, so reports compile each engine's conversion (local_time).
    dbt_project = project.project_dir / "dbt_project.yml"
    text = dbt_project.read_text(encoding="utf-8")
    assert "segmart_time_zone: UTC\n" in text
    dbt_project.write_text(
        text.replace("segmart_time_zone: UTC\n", "segmart_time_zone: Asia/Kolkata\n"),
        encoding="utf-8",
    )
    return project


@dataclass(frozen=True)
class Compiled:
    engines: dict[str, OfflineCompile]  # by engine
    duckdb_models: dict[str, str]  # model name -> SQL, for the DuckDB target


@pytest.fixture(scope="module")
def compiles(project, tmp_path_factory) -> Compiled:
    """Each cloud engine's offline compile in its own process, at once (each is CPU-bound dbt
    work), and meanwhile the DuckDB SQL of models that use DuckDB's own functions (the in-memory
    lint target) to show the checks fail on it."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(ENGINES), mp_context=context) as pool:
        futures = {
            engine: pool.submit(
                compile_offline,
                engine,
                tmp_path_factory.mktemp(f"target-{engine}"),
                project_dir=project.project_dir,
                inline={
                    location: f"{{{{ segmart.raw_events_load_statements('{location}')"
                    " | join(';\\n') }}"
                    for location in RAW_EVENT_LOCATIONS[engine]
                },
            )
            for engine in ENGINES
        }
        root = tmp_path_factory.mktemp("target-duckdb")
        settings = Settings(events=str(root), duckdb_path=root / "unused.duckdb", target="lint")
        selected = ("stg_events_landed", "int_identity_map", "int_events_sessionized", "sessions")
        # The project itself: these models do not depend on the registry, and it parses faster.
        result = run_dbt(
            ["compile", "--select", *selected, "--indirect-selection", "empty"],
            settings,
            target_path=root,
        )
        duckdb_models = {r.node.name: r.node.compiled_code for r in result.result.results}
        return Compiled({engine: f.result() for engine, f in futures.items()}, duckdb_models)


@pytest.fixture(params=sorted(ENGINES))
def compiled(request, compiles) -> tuple[str, OfflineCompile]:
    return request.param, compiles.engines[request.param]


def test_every_layer_every_segment_hooks_and_data_tests_compile(compiled, project):
    _, nodes = compiled
    segments = {segment.name for segment in load_registry(project.segments_dir)}
    assert len(segments) > 100
    kinds = Counter(node.resource_type for node in nodes.empty.values())
    # on-run-start: engine setup, retired relations; on-run-end: schema grants.
    assert kinds["test"] > 100 and kinds["operation"] == 3
    models = [node for node in nodes.empty.values() if node.resource_type == "model"]
    assert {node.schema for node in models} >= set(LAYERS)
    assert {f"model.segmart.seg_{name}" for name in segments} <= {m.unique_id for m in models}


def test_the_project_uses_no_deprecated_dbt_property(compiled):
    # dbt checks properties against its YAML schemas on Snowflake and BigQuery only (of the five
    # engines): a moved property would warn there, and nowhere this suite builds.
    _, nodes = compiled
    assert nodes.deprecations == {}


def test_compiled_sql_is_the_engines_sql(compiled):
    engine, nodes = compiled
    problems = [
        f"{state} warehouse, {uid}: {problem}"
        for state, compiled_nodes in (("empty", nodes.empty), ("built", nodes.built))
        for uid, node in sorted(compiled_nodes.items())
        for problem in sql_problems(node.sql, engine)
    ]
    if problems:
        pytest.fail(f"{len(problems)} problems compiling for {engine}:\n" + "\n".join(problems))


def test_raw_event_loads_are_the_engines_sql(compiled):
    engine, nodes = compiled
    assert set(nodes.inline) == set(RAW_EVENT_LOCATIONS[engine])
    for location, sql in nodes.inline.items():
        assert "segment_events" in sql and location in sql
        assert not sql_problems(sql, engine), (location, sql_problems(sql, engine))


def test_contract_types_and_incremental_strategies_are_the_engines(compiled):
    engine, nodes = compiled
    contracted = [node for node in nodes.empty.values() if node.contract_types]
    assert len(contracted) >= 4  # events, page_views, sessions, users
    problems = [
        f"{node.unique_id}: {problem}"
        for node in nodes.empty.values()
        for problem in type_problems(node.contract_types, engine)
        + strategy_problems(node.incremental_strategy, engine)
    ]
    assert not problems, "\n".join(problems)


def test_incremental_models_compile_their_incremental_branch(compiled):
    _, nodes = compiled
    incremental = {uid for uid, node in nodes.empty.items() if node.materialized == "incremental"}
    assert len(incremental) >= 6
    assert set(nodes.built) == incremental
    # State that only `segmart forget` writes: dbt creates the table and appends nothing to it.
    suppressed = "model.segmart.suppressed_identities"
    assert nodes.empty[suppressed].sql == nodes.built[suppressed].sql
    for uid in incremental - {suppressed}:
        # The incremental branch reads the model's own table; the full build does not.
        itself = re.compile(re.escape(nodes.built[uid].relation) + r"(?![\w`\"])")
        assert not itself.search(nodes.empty[uid].sql), uid
        assert itself.search(nodes.built[uid].sql), uid


# --- the checks can fail -----------------------------------------------------------------------


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_duckdb_sql_is_not_taken_for_the_engines(compiles, engine):
    assert len(compiles.duckdb_models) == 4
    found = {}
    for model, sql in compiles.duckdb_models.items():
        problems = sql_problems(sql, engine)
        assert problems, f"DuckDB's {model} passed as {engine} SQL"
        found[model] = problems
    assert any("json_transform" in p for p in found["stg_events_landed"]), found
    assert any("arg_max" in p for p in found["int_identity_map"]), found


@pytest.mark.parametrize(
    ("engine", "sql", "problem"),
    [
        ("snowflake", "select json_extract_string(a, '$.b') from t", "no function"),
        ("snowflake", "select arg_max(a, b) from t", "no function arg_max"),
        ("snowflake", "select sum(x) over w from t window w as (order by y)", "does not parse"),
        ("snowflake", "select cast(a as json) from t", "no type json"),
        ("bigquery", "select cast(a as text) from t", "no type text"),
        ("bigquery", "select a::float8 from t", "no type float8"),
        ("bigquery", "select position('a' in b) from t", "no function position"),
        ("bigquery", "select concat_ws('|', a, b) from t", "no function concat_ws"),
        ("bigquery", "select 1 union select 2", "does not parse"),
        ("bigquery", "select 'it''s'", "does not parse"),
    ],
)
def test_the_checks_catch_what_an_engine_lacks(engine, sql, problem):
    assert any(problem in p for p in sql_problems(sql, engine)), sql_problems(sql, engine)


def test_contract_and_strategy_checks_catch_other_engines_names():
    assert type_problems({"id": "text"}, "bigquery")
    assert not type_problems({"id": "string"}, "bigquery")
    assert strategy_problems("delete+insert", "bigquery")
    assert not strategy_problems("delete+insert", "snowflake")


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_no_connection_opens_offline(engine):
    _, manager = ADAPTERS[engine].classes()
    connection = Connection(type=engine, name="probe", credentials=None)
    with offline_adapter(engine), pytest.raises(ConnectionAttempted, match="probe"):
        manager.open(connection)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_segmart_build_loads_raw_events_server_side_first(engine, tmp_path):
    """Before dbt builds on Snowflake or BigQuery, `segmart build` (and Dagster) run the
    load_raw_events operation on SEGMART_EVENTS, kept as written (a stage path, a gs:// URI):
    offline, its first statement is where it reaches for the warehouse."""
    location = RAW_EVENT_LOCATIONS[engine][0]
    settings = Settings.from_env(
        {"SEGMART_EVENTS": location, "SEGMART_TARGET": engine, "SEGMART_DUCKDB": str(tmp_path)}
    )
    assert settings.events == location
    with environment(OFFLINE_ENV), offline_adapter(engine), pytest.raises(DbtCommandError) as error:
        target_of(settings).land_raw_events()
    message = str(error.value)
    assert message.startswith(
        f'dbt run-operation load_raw_events --args {{"location": "{location}"}}'
    )
    assert f"dbt tried to open a {engine} connection (macro_load_raw_events)" in message
