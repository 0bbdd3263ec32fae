"""Helpers shared by the tests/duckdb/test_segments_*.py modules (no tests of its own).

Custom segments are compiled into a throwaway copy of the dbt project (never into the real
models/segments/generated/, which other work relies on), then built with real dbt on a real
DuckDB file. Time windows are relative to a fixed as_of (SEGMART_AS_OF), so results are exact.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from rules_support import message, write_events

from segmart.compiler import generated_files, write_generated
from segmart.dbt_runner import environment, run_dbt
from segmart.project_copy import copy_project
from segmart.registry import Registry, load_registry
from segmart.registry.yaml_lines import dump_yaml
from segmart.settings import Settings

AS_OF = datetime(2024, 6, 1)
AS_OF_TEXT = "2024-06-01T00:00:00"
BUILD_THREADS = "4"


def ago(days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
    """The instant that long before AS_OF."""
    return AS_OF - timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def later(moment: datetime, days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return moment + timedelta(days=days, hours=hours, minutes=minutes)


def as_of_env(as_of: str | None) -> AbstractContextManager[None]:
    """SEGMART_AS_OF for the duration, or unset (dbt reads it through env_var at run time)."""
    return environment({"SEGMART_AS_OF": as_of})


# --- events --------------------------------------------------------------------------------------


@dataclass
class Events:
    """Segment messages for many visitors, with automatic message ids (`<visitor>-<n>`).

    A visitor is an anonymous id unless `user=True` (then it is the user id, which is also the
    warehouse's visitor_id)."""

    messages: list[dict] = field(default_factory=list)
    _numbers: itertools.count = field(default_factory=itertools.count)

    def add(self, visitor: str, when: datetime, type: str, *, user: bool = False, **fields) -> dict:
        identity = {"user_id": visitor} if user else {"anonymous_id": visitor}
        body = message(
            f"{visitor}-{next(self._numbers)}", type=type, base=when, **identity, **fields
        )
        self.messages.append(body)
        return body

    def track(
        self,
        visitor: str,
        event: str,
        when: datetime,
        *,
        user: bool = False,
        context: dict | None = None,
        **properties,
    ) -> dict:
        return self.add(
            visitor,
            when,
            "track",
            user=user,
            event=event,
            properties=properties or None,
            context=context,
        )

    def page(
        self,
        visitor: str,
        when: datetime,
        *,
        user: bool = False,
        context: dict | None = None,
        **properties,
    ) -> dict:
        return self.add(
            visitor, when, "page", user=user, properties=properties or None, context=context
        )

    def identify(self, visitor: str, when: datetime, *, user: bool = False, **traits) -> dict:
        return self.add(visitor, when, "identify", user=user, traits=traits)

    def group(
        self, visitor: str, when: datetime, account: str | int, *, user: bool = False, **traits
    ) -> dict:
        """A group call putting the visitor in `account` (Segment's groupId) with its traits."""
        return self.add(visitor, when, "group", user=user, groupId=account, traits=traits or None)

    def write(self, path: Path) -> Path:
        return write_events(path, self.messages)


def campaign(**utm: str) -> dict:
    """A message context carrying UTM values (source, medium, name, term, content)."""
    return {"campaign": utm}


# --- segments ------------------------------------------------------------------------------------


def segment(name: str, where: dict, *, grain: str = "user", **fields) -> dict:
    """A registry entry (docs/registry.md) with boilerplate metadata."""
    entry = {
        "name": name,
        "title": f"Test {name}",
        "description": f"Test segment {name}.",
        "owner": "tests@example.com",
        "use_case": "Tests.",
        "visibility": "public",
        "grain": grain,
        "refresh": "daily",
    }
    entry.update(fields)
    entry["where"] = where
    return entry


def write_segment_files(folder: Path, entries: Iterable[dict]) -> Path:
    """Each entry as <name>.yml in `folder` (created); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        text = dump_yaml(entry, sort_keys=False)
        (folder / f"{entry['name']}.yml").write_text(text, encoding="utf-8")
    return folder


def funnel(name: str, steps: list[dict], **fields) -> dict:
    """A funnel file's entry (docs/registry.md, "Funnels") with boilerplate metadata."""
    entry = {
        "name": name,
        "title": f"Test funnel {name}",
        "description": f"Test funnel {name}.",
        "owner": "tests@example.com",
    }
    return entry | fields | {"steps": steps}


def scoped(scope: dict, condition: dict) -> dict:
    """`all: [scope, condition]`: a case group's marker condition and the condition tested."""
    return {"all": [scope, condition]}


# --- a throwaway project -------------------------------------------------------------------------


@dataclass
class SegmentProject:
    """A copy of the dbt project with its own registry, events folder and DuckDB file."""

    root: Path

    @property
    def project_dir(self) -> Path:
        return self.root / "project"

    @property
    def segments_dir(self) -> Path:
        return self.project_dir / "segments"

    @property
    def lists_dir(self) -> Path:
        return self.project_dir / "seeds" / "segment_lists"

    @property
    def events_dir(self) -> Path:
        return self.root / "events"

    @property
    def duckdb_path(self) -> Path:
        return self.root / "segmart.duckdb"

    @classmethod
    def create(cls, root: Path) -> SegmentProject:
        project = cls(root)
        copy_project(project.project_dir)
        project.segments_dir.mkdir()
        project.events_dir.mkdir()
        return project

    def write_segments(self, entries: Iterable[dict]) -> None:
        write_segment_files(self.segments_dir, entries)

    def write_funnels(self, entries: Iterable[dict]) -> None:
        write_segment_files(self.project_dir / "funnels", entries)

    def write_list(self, name: str, text: str) -> Path:
        self.lists_dir.mkdir(parents=True, exist_ok=True)
        path = self.lists_dir / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        return path

    def compile(self) -> Registry:
        """Load the registry and write its generated models into this project only."""
        registry = load_registry(self.segments_dir)
        write_generated(generated_files(registry), project_dir=self.project_dir)
        return registry

    def write_events(self, events: Events, name: str = "events.jsonl") -> Path:
        return events.write(self.events_dir / name)

    def build(self, *args: str, as_of: str | None = AS_OF_TEXT):
        settings = Settings(events=str(self.events_dir), duckdb_path=self.duckdb_path)
        with as_of_env(as_of):
            return run_dbt(
                ["build", "--threads", BUILD_THREADS, *args],
                settings,
                target_path=self.root / "target",
                project_dir=self.project_dir,
            )

    # --- reading the warehouse ----------------------------------------------------------------

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def query_dicts(self, sql: str) -> list[dict]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            relation = connection.sql(sql)
            names = relation.columns
            return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def members(warehouse, name: str) -> list[str]:
    """A segment's members, sorted: visitor ids (user grain), `<visitor>#<session number>`
    (session grain) or account ids (account grain). `warehouse` has a query(sql) method
    (SegmentProject or Warehouse)."""
    columns = {row[0] for row in warehouse.query(_COLUMNS_SQL.format(name=name))}
    if "account_id" in columns:
        rows = warehouse.query(f"select account_id from segments.{name}")
    elif "session_id" in columns:
        rows = warehouse.query(
            f"select sessions.visitor_id || '#' || sessions.session_number "
            f"from segments.{name} as members "
            f"inner join marts.sessions as sessions on members.session_id = sessions.session_id"
        )
    else:
        rows = warehouse.query(f"select visitor_id from segments.{name}")
    return sorted(row[0] for row in rows)


_COLUMNS_SQL = (
    "select column_name from information_schema.columns "
    "where table_schema = 'segments' and table_name = '{name}'"
)


__all__ = [
    "AS_OF",
    "AS_OF_TEXT",
    "Events",
    "SegmentProject",
    "ago",
    "as_of_env",
    "campaign",
    "later",
    "members",
    "scoped",
    "segment",
    "write_segment_files",
]
