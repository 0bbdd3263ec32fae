"""`segmart diff NAME`: the impact of an edited definition before it is merged. The registry
entry (as edited) is evaluated on the current warehouse and compared with the segment's current
table, segments.<name>: members added, removed and unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from segmart.compiler.models import MEMBER_COLUMNS
from segmart.compiler.sqltext import indent
from segmart.inspect.context import Inspection
from segmart.inspect.describe import plural
from segmart.inspect.queries import grain_of, grain_of_name, member_key, members_query
from segmart.inspect.readonly import fetch, table_columns
from segmart.inspect.render import AS_OF_QUERY
from segmart.sql import identifier
from segmart.warehouse import format_table

SCHEMA = "segments"


@dataclass(frozen=True)
class Sample:
    columns: list[str]
    rows: list[tuple]


@dataclass(frozen=True)
class Diff:
    name: str
    grain: str
    as_of: datetime
    table_exists: bool
    refreshed_at: datetime | None
    grain_changed: bool
    table_grain: str  # the grain of the current table (the segment's when it does not exist)
    current: int
    new: int
    added: int
    removed: int
    unchanged: int
    added_sample: Sample
    removed_sample: Sample


def diff(inspection: Inspection, limit: int = 10) -> Diff:
    segment = inspection.segment
    key = member_key(grain_of(segment))
    as_of_sql, new_sql = inspection.render(
        [AS_OF_QUERY, members_query(segment, inspection.registry, inspection.catalog)]
    )
    table = f"{SCHEMA}.{identifier(segment.name)}"
    with inspection.connect() as connection:
        as_of = fetch(connection, as_of_sql)[1][0][0]
        columns = table_columns(connection, SCHEMA, segment.name)
        # A table's member key column says its grain (session and user tables both have
        # visitor_id; only a session table has session_id, only an account table account_id).
        table_grain = (
            next(
                (
                    name
                    for name, key in (("account", "account_id"), ("session", "session_id"))
                    if key in columns
                ),
                "user",
            )
            if columns
            else segment.grain
        )
        grain_changed = table_grain != segment.grain
        if columns:
            shown = [c for c in columns if c != "refreshed_at"]
            current_sql = f"select {', '.join(shown)} from {table}"
            current_key = member_key(grain_of_name(table_grain))
        else:  # a new segment: an empty current membership of the new shape
            shown, current_key = list(MEMBER_COLUMNS[segment.grain]), key
            current_sql = f"select {', '.join(shown)} from new_members where false"
        common = (
            f"with\n\nnew_members as (\n{indent(new_sql)}\n),\n\n"
            f"current_members as (\n{indent(current_sql)}\n)\n\n"
        )
        # After a grain change no member can be in both (the keys differ in kind).
        same = "false" if grain_changed else f"new_members.{key} = current_members.{key}"
        added_sql = (
            f"select {', '.join(f'new_members.{c}' for c in MEMBER_COLUMNS[segment.grain])}\n"
            "from new_members\nwhere not exists (\n"
            f"    select 1 from current_members where {same}\n)"
        )
        removed_sql = (
            f"select {', '.join(f'current_members.{c}' for c in shown)}\n"
            "from current_members\nwhere not exists (\n"
            f"    select 1 from new_members where {same}\n)"
        )
        counts = fetch(
            connection,
            common + "select\n"
            "    (select count(*) from current_members) as current_count,\n"
            "    (select count(*) from new_members) as new_count,\n"
            f"    (select count(*) from ({added_sql}) as added) as added_count,\n"
            f"    (select count(*) from ({removed_sql}) as removed) as removed_count",
        )[1][0]
        added = fetch(
            connection, f"{common}{added_sql}\norder by new_members.{key}\nlimit {int(limit)}"
        )
        removed = fetch(
            connection,
            f"{common}{removed_sql}\norder by current_members.{current_key}\nlimit {int(limit)}",
        )
        refreshed_at = None
        if "refreshed_at" in columns:
            refreshed_at = fetch(connection, f"select max(refreshed_at) from {table}")[1][0][0]
    current, new, added_count, removed_count = counts
    return Diff(
        name=segment.name,
        grain=segment.grain,
        as_of=as_of,
        table_exists=bool(columns),
        refreshed_at=refreshed_at,
        grain_changed=grain_changed,
        table_grain=table_grain,
        current=current,
        new=new,
        added=added_count,
        removed=removed_count,
        unchanged=current - removed_count,
        added_sample=Sample(*added),
        removed_sample=Sample(*removed),
    )


def format_diff(result: Diff) -> str:
    noun = "member" if result.grain_changed else result.grain
    table = f"{SCHEMA}.{result.name}"
    if not result.table_exists:
        lines = [f"{table} does not exist yet (a new segment): every member is added"]
    else:
        refreshed = f", refreshed at {result.refreshed_at}" if result.refreshed_at else ""
        lines = [f"{result.name}: the registry definition against {table}{refreshed}"]
        if result.grain_changed:
            before = result.table_grain
            lines.append(f"the grain changed from {before} to {result.grain}: no member stays")
    lines.append(f"new definition evaluated as of {result.as_of}")
    lines.append("")
    counts = [
        ("current", result.current),
        ("new", result.new),
        ("added", result.added),
        ("removed", result.removed),
        ("unchanged", result.unchanged),
    ]
    width = max(len(f"{value:,}") for _, value in counts)
    lines += [f"{label:<10} {value:>{width},} {plural(noun, value)}" for label, value in counts]
    for label, total, sample in (
        ("added", result.added, result.added_sample),
        ("removed", result.removed, result.removed_sample),
    ):
        if total:
            truncated = total > len(sample.rows)
            lines += ["", f"{label}:", format_table(sample.columns, sample.rows, truncated)]
    return "\n".join(lines)
