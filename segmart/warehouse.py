"""Read-only questions to the built DuckDB warehouse: row counts, ad-hoc SQL, a segment's
members, a member's timeline; results as a text table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb

# The tables a user looks at first, in data-flow order.
SUMMARY_TABLES = (
    "staging.stg_events_landed",
    "staging.stg_events",
    "staging.stg_events_rejected",
    "staging.stg_events_duplicates",
    "marts.events",
    "marts.page_views",
    "marts.sessions",
    "marts.users",
    "segments.segment_memberships",
)

SEGMENTS_QUERY = """\
select segment_name, grain, members, health_warning, unseen_filter_values
from segments.segment_catalog
order by grain, segment_name"""

# Segments whose size or filter values look wrong (segment_catalog.health_warning).
HEALTH_WARNINGS_QUERY = """\
select segment_name, health_warning
from segments.segment_catalog
where health_warning is not null
order by segment_name"""

# Imported list rows that match no user: shown so a list import never loses ids silently.
UNMATCHED_LISTS_QUERY = """\
select
    list_name,
    matched_by,
    count(*) as unmatched_rows,
    array_to_string(list_slice(list(shown_value order by shown_value), 1, 5), ', ') as examples
from (
    select distinct list_name, matched_by, coalesce(listed_value, '(blank)') as shown_value
    from segments.segment_list_unmatched
)
group by list_name, matched_by
order by list_name"""

FIRST_QUERY = """\
select channel, count(*) as sessions, round(avg(duration_seconds)) as avg_seconds,
       sum(order_count) as orders, round(sum(revenue), 2) as revenue
from marts.sessions
group by channel
order by sessions desc"""


OUTPUT_FORMATS = ("table", "csv", "json")

# A segment's members, from its own table (the segment name is checked against the catalog).
MEMBERS_QUERY = """\
select *
from segments.{table}
order by {key}"""

# One member's events in order, with their sessions: $1 is a session id (that session), a
# visitor's user id or anonymous id (all their sessions), or an account id (all its users').
TIMELINE_QUERY = """\
select
    sessions.session_number,
    events.session_id,
    events.event_at,
    events.message_type,
    events.event_name,
    events.page_path,
    sessions.channel,
    sessions.device_type
from marts.events as events
left join marts.sessions as sessions on events.session_id = sessions.session_id
where
    events.session_id = $1
    or events.visitor_id in (
        select visitor_id from marts.events
        where visitor_id = $1 or user_id = $1 or anonymous_id = $1
    )
    or events.visitor_id in (select visitor_id from marts.account_users where account_id = $1)
order by events.event_at, events.message_id"""


def connect_read_only(duckdb_path: Path) -> duckdb.DuckDBPyConnection:
    if not duckdb_path.exists():
        raise FileNotFoundError(
            f"no warehouse at {duckdb_path}: build it first (segmart build, or scripts/demo.sh)"
        )
    return duckdb.connect(str(duckdb_path), read_only=True)


def row_counts(
    duckdb_path: Path, tables: Iterable[str] = SUMMARY_TABLES, built_only: bool = False
) -> dict[str, int]:
    """Rows of each table ('schema.table'); with built_only, tables not built are left out
    instead of failing."""
    counts = {}
    with connect_read_only(duckdb_path) as connection:
        for table in tables:
            try:
                counts[table] = connection.execute(f"select count(*) from {table}").fetchone()[0]
            except duckdb.CatalogException:
                if not built_only:
                    raise
    return counts


def run_sql(duckdb_path: Path, sql: str, max_rows: int = 200) -> str:
    """The result of a query as a plain text table (at most max_rows rows)."""
    names, rows, truncated = fetch(duckdb_path, sql, max_rows)
    if names is None:
        return "ok"
    return format_table(names, rows, truncated=truncated)


def fetch(
    duckdb_path: Path, sql: str, max_rows: int = 200, params: Sequence[object] = ()
) -> tuple[list | None, list, bool]:
    """(column names, at most max_rows rows, whether more rows exist); names are None for a
    statement that returns no result. `params` bind the query's $1, $2, ... (values a user
    typed are bound, never spliced into the SQL)."""
    with connect_read_only(duckdb_path) as connection:
        relation = connection.sql(sql, params=list(params)) if params else connection.sql(sql)
        if relation is None:
            return None, [], False
        rows = relation.fetchmany(max_rows + 1)
        return relation.columns, rows[:max_rows], len(rows) > max_rows


def render(names: list[str], rows: list[tuple], output_format: str, truncated: bool) -> str:
    """Rows as a text table, CSV (a header row) or JSON (a list of objects, values as JSON
    numbers, booleans and null where they are, else text)."""
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    if output_format == "json":
        objects = [dict(zip(names, row, strict=True)) for row in rows]
        return json.dumps(objects, indent=1, default=str, ensure_ascii=False)
    return format_table(names, rows, truncated=truncated)


def format_table(names: list[str], rows: list[tuple], truncated: bool = False) -> str:
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(names)]
    lines = ["  ".join(name.ljust(width) for name, width in zip(names, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    more = "; more not shown: --limit shows more" if truncated else ""
    lines.append(f"({len(rows)} rows{more})")
    return "\n".join(lines)


def _cell(value: object) -> str:
    return "" if value is None else str(value)
