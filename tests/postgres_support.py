"""A throwaway PostgreSQL database built by the real dbt project (tests/engines; no tests of its
own). Needs the server SEGMART_PG_* name (scripts/postgres.sh)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg2
import psycopg2.extensions
import psycopg2.extras as psycopg2_extras
from engines_support import BUILD_THREADS, ENGINE_VARS
from segments_support import AS_OF_TEXT, as_of_env

from segmart.dbt_runner import environment, run_dbt
from segmart.raw_load import postgres_dsn
from segmart.settings import FILES_SOURCE, Settings
from segmart.targets import target_of


class PostgresWarehouse:
    """A fresh database on the test server, built with the `postgres` target."""

    def __init__(
        self, events: Path, target_path: Path, source: dict[str, str] | None = None
    ) -> None:
        self.events = events
        self.target_path = target_path
        # SEGMART_SOURCE and the variables of its tables (docs/sources.md); files when None.
        self.source = source or {}
        self.dbname = f"segmart_test_{uuid.uuid4().hex[:10]}"
        self._admin(
            f"create database {self.dbname}",
            f"alter database {self.dbname} set timezone to 'UTC'",
        )

    def _admin(self, *statements: str) -> None:
        connection = self._connect("postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            connection.close()

    def connect(self) -> psycopg2.extensions.connection:
        """A connection to the database (the caller closes it)."""
        return self._connect()

    def _connect(self, dbname: str | None = None, user: str | None = None):
        env = dict(os.environ, SEGMART_PG_DBNAME=dbname or self.dbname)
        if user:
            env["SEGMART_PG_USER"] = user
            env.pop("SEGMART_PG_PASSWORD", None)
        return psycopg2.connect(postgres_dsn(env))

    def settings(self, events: Path) -> Settings:
        return Settings(
            events=str(events),
            duckdb_path=Path("unused.duckdb"),
            target="postgres",
            source=self.source.get("SEGMART_SOURCE", FILES_SOURCE),
        )

    def load(self, location: Path) -> None:
        with environment({"SEGMART_PG_DBNAME": self.dbname}):
            assert target_of(self.settings(location)).land_raw_events().startswith("loaded ")

    def build(self, *args: str, load: bool = True) -> None:
        if load and not self.source:
            self.load(self.events)
        with environment({"SEGMART_PG_DBNAME": self.dbname, **self.source}):
            settings = self.settings(self.events)
            with as_of_env(AS_OF_TEXT):
                run_dbt(
                    ["build", "--threads", BUILD_THREADS, *ENGINE_VARS, *args],
                    settings,
                    target_path=self.target_path,
                )

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        connection = self._connect()
        # JSON as its text, as DuckDB gives it: decoded, the JSON string "text" would be
        # indistinguishable from JSON text.
        psycopg2_extras.register_default_json(connection, loads=lambda text: text)
        psycopg2_extras.register_default_jsonb(connection, loads=lambda text: text)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return [d[0] for d in cursor.description], cursor.fetchall()
        finally:
            connection.close()

    def drop(self) -> None:
        self._admin(f"drop database if exists {self.dbname} with (force)")
