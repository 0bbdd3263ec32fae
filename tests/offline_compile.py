"""Compile the dbt project for a warehouse no server here runs (Snowflake, BigQuery), offline.

`dbt compile` renders every node with the target adapter's own macros (dbt-snowflake's dateadd,
dbt-bigquery's hash, ...), so the SQL it writes is the SQL dbt would send to that engine. It asks
the warehouse one thing: which relations exist (`is_incremental()`, through the adapter's
relation cache, which dbt fills by listing each schema). That listing is answered here from a
stated warehouse state instead: `empty` (every model builds in full) or `built` (every model of
the project exists, so incremental models compile their incremental branch).

Nothing else is answered: opening a connection raises ConnectionAttempted (naming the caller),
so a macro that would query the warehouse fails the compile instead of being faked. (Closing a
connection never opened does nothing, as dbt's base adapter has it; dbt-bigquery's close would
open it first.)
"""

from __future__ import annotations

import importlib
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from dbt import deprecations
from dbt.adapters.contracts.connection import ConnectionState

from segmart.dbt_runner import environment, run_dbt
from segmart.settings import PROJECT_DIR, Settings

# Credentials the profiles' targets require; never used, since no connection is ever opened.
OFFLINE_ENV = {
    "SEGMART_SNOWFLAKE_ACCOUNT": "offline-account",
    "SEGMART_SNOWFLAKE_USER": "offline",
    "SEGMART_SNOWFLAKE_WAREHOUSE": "offline",
    "SEGMART_BQ_PROJECT": "segmart-offline",
}


@dataclass(frozen=True)
class Adapter:
    module: str  # dbt.adapters.<name>
    adapter_class: str
    connection_manager: str
    # How the engine's own listing reports a relation dbt created with unquoted names: the name
    # as stored, and the quote policy the adapter gives listed relations.
    stored_name: Callable[[str], str]
    listed_quote_policy: dict[str, bool]

    def classes(self) -> tuple[type, type]:
        adapter = importlib.import_module(f"{self.module}.impl")
        connections = importlib.import_module(f"{self.module}.connections")
        return getattr(adapter, self.adapter_class), getattr(connections, self.connection_manager)


ADAPTERS = {
    # Snowflake stores unquoted names upper-cased (SnowflakeAdapter._parse_list_relations_result).
    "snowflake": Adapter(
        "dbt.adapters.snowflake",
        "SnowflakeAdapter",
        "SnowflakeConnectionManager",
        stored_name=str.upper,
        listed_quote_policy={"database": True, "schema": True, "identifier": True},
    ),
    # BigQuery keeps names as written (BigQueryAdapter._bq_table_to_relation).
    "bigquery": Adapter(
        "dbt.adapters.bigquery",
        "BigQueryAdapter",
        "BigQueryConnectionManager",
        stored_name=str,
        listed_quote_policy={"schema": True, "identifier": True},
    ),
}


class ConnectionAttempted(AssertionError):
    """Something asked the warehouse for more than the relation listing this module answers."""


@dataclass(frozen=True)
class CompiledNode:
    unique_id: str
    resource_type: str  # model, test, operation (run hooks), ...
    sql: str
    materialized: str | None
    incremental_strategy: str | None
    # column -> data type for a model whose contract is enforced, as its DDL names it (dbt
    # translates some names per engine: Column.translate_type)
    contract_types: dict[str, str]
    database: str | None
    schema: str | None
    alias: str | None
    relation: str | None  # the model's relation as its SQL names it


@dataclass(frozen=True)
class OfflineCompile:
    """What dbt compiled for an empty warehouse (every node but unit tests, which read their
    inputs' column types from the warehouse) and for a built one (the incremental models, the
    only nodes whose SQL depends on it), by unique id; and inline Jinja (`dbt compile --inline`)
    by the name it was given."""

    empty: dict[str, CompiledNode]
    built: dict[str, CompiledNode]
    inline: dict[str, str]
    deprecations: dict[str, int]  # what dbt warned of, by deprecation, over the compiles


def compile_offline(
    target: str,
    target_path: Path,
    *,
    project_dir: Path = PROJECT_DIR,
    inline: dict[str, str] | None = None,
) -> OfflineCompile:
    settings = Settings(events="unused", duckdb_path=target_path / "unused.duckdb", target=target)
    column_class = ADAPTERS[target].classes()[0].Column
    met: Counter[str] = Counter()

    def compile_nodes(*selection: str) -> dict[str, CompiledNode]:
        result = run_dbt(
            ["compile", *selection], settings, target_path=target_path, project_dir=project_dir
        )
        met.update(deprecations.active_deprecations)  # this command's (run_dbt resets them)
        return {
            r.node.unique_id: _compiled_node(r.node, column_class) for r in result.result.results
        }

    with environment(OFFLINE_ENV), offline_adapter(target) as warehouse:
        empty = compile_nodes("--exclude", "resource_type:unit_test")
        warehouse.holds(node for node in empty.values() if node.resource_type == "model")
        built = compile_nodes(
            "--select", "config.materialized:incremental", "--indirect-selection", "empty"
        )
        compiled_inline = {
            name: next(iter(compile_nodes("--inline", jinja).values())).sql
            for name, jinja in (inline or {}).items()
        }
    if not warehouse.listed:
        raise AssertionError("dbt listed no schema: the relation listing patched is not dbt's")
    return OfflineCompile(empty, built, compiled_inline, dict(met))


def _compiled_node(node, column_class) -> CompiledNode:
    config = node.config
    contract = getattr(node, "contract", None)
    enforced = contract is not None and contract.enforced
    types = {
        c.name: column_class.translate_type(c.data_type)
        for c in node.columns.values()
        if enforced and c.data_type
    }
    return CompiledNode(
        unique_id=node.unique_id,
        resource_type=str(node.resource_type),
        sql=node.compiled_code,
        materialized=config.get("materialized"),
        incremental_strategy=config.get("incremental_strategy"),
        contract_types=types,
        database=node.database,
        schema=node.schema,
        alias=getattr(node, "alias", None),
        relation=getattr(node, "relation_name", None),
    )


class Warehouse:
    """What the patched relation listing answers: schema -> relations, named as the engine's
    own listing names them."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.relations: dict[tuple[str, str], list] = {}
        self.listed: list[tuple[str, str]] = []

    def holds(self, models: Iterable[CompiledNode]) -> None:
        """These models exist: views as views, the rest as tables."""
        self.relations.clear()
        for model in models:
            kind = "view" if model.materialized == "view" else "table"
            key = (str(model.database).lower(), str(model.schema).lower())
            relation = (model.database, model.schema, model.alias, kind)
            self.relations.setdefault(key, []).append(relation)

    def list_relations(self, adapter, schema_relation) -> list:
        key = (str(schema_relation.database).lower(), str(schema_relation.schema).lower())
        self.listed.append(key)
        stored = self.adapter.stored_name
        return [
            adapter.Relation.create(
                database=stored(database),
                schema=stored(schema),
                identifier=stored(name),
                type=kind,
                quote_policy=self.adapter.listed_quote_policy,
            )
            for database, schema, name, kind in self.relations.get(key, [])
        ]


@contextmanager
def offline_adapter(target: str) -> Iterator[Warehouse]:
    """Patch the target's adapter: relation listings come from the returned Warehouse (empty
    until told otherwise), and opening a connection raises ConnectionAttempted."""
    adapter_class, connection_manager = ADAPTERS[target].classes()
    warehouse = Warehouse(ADAPTERS[target])
    close = connection_manager.close

    def refuse_to_connect(connection):
        caller = "".join(traceback.format_stack(limit=12)[:-1])
        raise ConnectionAttempted(
            f"dbt tried to open a {target} connection ({connection.name}); the offline compile "
            f"answers only relation listings. Called from:\n{caller}"
        )

    def close_if_opened(connection):
        if connection.state in (ConnectionState.INIT, ConnectionState.CLOSED):
            return connection
        return close(connection)

    with ExitStack() as stack:
        stack.enter_context(
            mock.patch.object(connection_manager, "open", side_effect=refuse_to_connect)
        )
        stack.enter_context(
            mock.patch.object(connection_manager, "close", side_effect=close_if_opened)
        )
        stack.enter_context(
            mock.patch.object(
                adapter_class,
                "list_relations_without_caching",
                autospec=True,
                side_effect=warehouse.list_relations,
            )
        )
        yield warehouse
