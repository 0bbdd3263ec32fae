"""Raw events as the warehouse tables segmart can read instead of files (docs/sources.md): a raw
JSON table (a loader's: one JSON text column per message, or one column per message field) and
a Segment warehouse-destination schema (tracks, pages, ... and a table per track event, each
message flattened into columns as Segment's loader flattens it). Written on DuckDB and on
PostgreSQL from the same JSON lines as the files they are compared with.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

CALL_TABLES = {
    "track": "tracks",
    "page": "pages",
    "screen": "screens",
    "identify": "identifies",
    "group": "groups",
    "alias": "aliases",
}
MESSAGE_COLUMNS = {
    "messageId": "id",
    "anonymousId": "anonymous_id",
    "userId": "user_id",
    "groupId": "group_id",
    "previousId": "previous_id",
}
TIME_COLUMNS = {
    "timestamp": "timestamp",
    "originalTimestamp": "original_timestamp",
    "sentAt": "sent_at",
    "receivedAt": "received_at",
}
BAGS = {"track": "properties", "page": "properties", "screen": "properties"}
BAGS |= {"identify": "traits", "group": "traits"}
LOADED_AT = "uuid_ts"


def lines_of(files: Iterable[Path]) -> list[str]:
    """The non-blank lines of JSON-lines files, in file and line order."""
    return [line for path in files for line in path.read_text().splitlines() if line.strip()]


def parse_time(value: object) -> datetime | None:
    """A Segment time as Segment's loader stores it (UTC); None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or not 2000 <= moment.year <= 2100:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None)


def segment_loadable(line: str) -> bool:
    """Whether Segment's warehouse loader writes the message as it is: an object of a known
    call type, string ids, an event name of text (and no page name on a track: tracks have no
    name column), objects for properties, traits and context, and times that are times. (Its
    rows of other messages are not the message any more.)"""
    try:
        message = json.loads(line)
    except ValueError:
        return False
    if not isinstance(message, dict) or message.get("type") not in CALL_TABLES:
        return False
    ids = [message.get(key) for key in MESSAGE_COLUMNS]
    bags = [message.get(key) for key in ("properties", "traits", "context")]
    times = [message[key] for key in TIME_COLUMNS if key in message]
    return (
        all(value is None or isinstance(value, str) for value in ids)
        and (message["type"] != "track" or isinstance(message.get("event"), str))
        and (message["type"] != "track" or "name" not in message)
        and all(bag is None or isinstance(bag, dict) for bag in bags)
        and all(parse_time(value) is not None for value in times)
    )


def snake(name: str) -> str:
    """Segment's column name of a key: snake case (userAgent: user_agent)."""
    return re.sub(r"([A-Z])", r"_\1", name).lower()


def flatten(prefix: str, value: dict) -> dict[str, object]:
    """Nested objects as columns named by their path (context.page.path: context_page_path)."""
    columns: dict[str, object] = {}
    for key, item in value.items():
        name = f"{prefix}_{snake(key)}" if prefix else snake(key)
        if isinstance(item, dict):
            columns |= flatten(name, item)
        else:
            columns[name] = item
    return columns


def event_table(event: str) -> str:
    """Segment's table of a track event: its name in lower case, words joined by _ (Order
    Completed, order-completed: order_completed); empty for a blank name (no table)."""
    return re.sub(r"[^a-z0-9]+", "_", event.lower()).strip("_")


@dataclass
class Table:
    """A table to write: its rows, each a dict of column values (None: null)."""

    name: str
    rows: list[dict] = field(default_factory=list)

    def columns(self) -> dict[str, str]:
        """Each column's kind: text, bigint, double, boolean, timestamp or json."""
        kinds: dict[str, set[str]] = {}
        for row in self.rows:
            for column, value in row.items():
                kinds.setdefault(column, set())
                if value is not None:
                    kinds[column].add(value_kind(value))
        return {column: merged_kind(found) for column, found in kinds.items()}


def value_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, list | dict):
        return "json"
    return "text"


def merged_kind(kinds: set[str]) -> str:
    if kinds == {"bigint", "double"}:
        return "double"
    if len(kinds) == 1:
        return next(iter(kinds))
    return "text"


def segment_tables(lines: Sequence[str], loaded_at: Callable[[int], datetime]) -> list[Table]:
    """The tables Segment's warehouse destination writes for the messages (segment_loadable
    lines): a row per message in its call type's table, a track also in its event's table with
    its properties; loaded_at(i) is when the ith line's row is written."""
    tables: dict[str, Table] = {}
    for number, line in enumerate(lines):
        message = json.loads(line)
        call = message["type"]
        row: dict[str, object] = {
            column: message.get(key) for key, column in MESSAGE_COLUMNS.items() if key in message
        }
        row |= {
            column: parse_time(message[key])
            for key, column in TIME_COLUMNS.items()
            if key in message
        }
        row |= flatten("context", message.get("context") or {})
        row[LOADED_AT] = loaded_at(number)
        if call == "track":
            row |= {"event": event_table(message["event"]), "event_text": message["event"]}
        if call in ("page", "screen") and "name" in message:
            row["name"] = message["name"]
        bag = flatten("", message.get(BAGS.get(call, ""), {}) or {})
        if call == "track" and event_table(message["event"]):
            tables.setdefault("tracks", Table("tracks")).rows.append(dict(row))
            name = event_table(message["event"])
        else:
            name = CALL_TABLES[call]
        tables.setdefault(name, Table(name)).rows.append(row | (bag if call in BAGS else {}))
    return list(tables.values())


def json_table(lines: Sequence[str], loaded_at: Callable[[int], datetime]) -> Table:
    """A loader's raw table: each line as it arrived, beside when it was written."""
    return Table(
        "events", [{"message": line, LOADED_AT: loaded_at(i)} for i, line in enumerate(lines)]
    )


def column_table(lines: Sequence[str], loaded_at: Callable[[int], datetime]) -> Table:
    """A loader's raw table with a column per top-level message field (objects as JSON)."""
    rows = []
    for i, line in enumerate(lines):
        message = json.loads(line)
        rows.append(message | {LOADED_AT: loaded_at(i)})
    return Table("events", rows)


# --- writing -------------------------------------------------------------------------------------

DUCKDB_TYPES = {
    "text": "varchar",
    "bigint": "bigint",
    "double": "double",
    "boolean": "boolean",
    # Segment's loader writes times without a zone on some warehouses, with one on others: both.
    "timestamp": "timestamp",
    "json": "json",
}
POSTGRES_TYPES = DUCKDB_TYPES | {
    "text": "text",
    "double": "double precision",
    "timestamp": "timestamp with time zone",
    "json": "jsonb",
}


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_writes(
    schema: str, tables: Iterable[Table], types: dict[str, str], when: Callable[[datetime], bool]
) -> Iterable[tuple[str, str, list[str], list[list]]]:
    """For each table: its create statement (every column; if not there yet), the head of an
    insert of its columns, their names, and the values of its rows whose load time passes
    `when`."""
    for table in tables:
        columns = table.columns()
        definition = ", ".join(f"{quoted(c)} {types[kind]}" for c, kind in columns.items())
        relation = f"{quoted(schema)}.{quoted(table.name)}"
        names = ", ".join(quoted(c) for c in columns)
        values = [row_values(columns, row) for row in table.rows if when(row[LOADED_AT])]
        yield (
            f"create table if not exists {relation} ({definition})",
            f"insert into {relation} ({names})",
            list(columns),
            values,
        )


def row_values(columns: dict[str, str], row: dict) -> list:
    return [
        json.dumps(row.get(c)) if kind == "json" and row.get(c) is not None else row.get(c)
        for c, kind in columns.items()
    ]


def always(_: datetime) -> bool:
    return True


def write_duckdb(
    path: Path, schema: str, tables: Iterable[Table], when: Callable[[datetime], bool] = always
) -> None:
    """Create the tables in the DuckDB file and append their rows whose load time passes `when`
    (all by default)."""
    import duckdb
    import pandas

    with duckdb.connect(str(path)) as connection:
        connection.execute(f"create schema if not exists {quoted(schema)}")
        for create, insert, names, values in table_writes(schema, tables, DUCKDB_TYPES, when):
            connection.execute(create)
            if values:
                # Through a data frame: DuckDB's executemany takes a minute for 20,000 rows.
                frame = pandas.DataFrame(values, columns=names, dtype=object)
                connection.register("frame", frame)
                connection.execute(f"{insert} select * from frame")


def write_postgres(
    connection, schema: str, tables: Iterable[Table], when: Callable[[datetime], bool] = always
) -> None:
    """write_duckdb through a psycopg2 connection, committed."""
    from psycopg2.extras import execute_values

    with connection.cursor() as cursor:
        cursor.execute(f"create schema if not exists {quoted(schema)}")
        for create, insert, _, values in table_writes(schema, tables, POSTGRES_TYPES, when):
            cursor.execute(create)
            if values:
                execute_values(cursor, f"{insert} values %s", values, page_size=1000)
    connection.commit()


# --- the sample as files and tables --------------------------------------------------------------

# The columns that say where a raw row came from (a file's path and line, a table's row), and the
# tables only files have: everything else is the same whatever the source.
SOURCE_COLUMNS = {"source_file", "source_line", "source_loaded_at", "kept_source_file"}
SOURCE_COLUMNS |= {"kept_source_line", "file_number"}
FILE_TABLES = {
    "staging.stg_raw_file_ledger",
    "staging.stg_raw_file_numbers",
    "staging.stg_raw_files_quarantined",
}
LOADS_START = datetime(2024, 7, 1)


@dataclass(frozen=True)
class Arrivals:
    """JSON lines as they arrive: the nth file's lines are written by the nth load, an hour
    after the one before (a table's load time); `first` is how many loads the first refresh
    sees."""

    files: list[Path]
    first: int

    @functools.cached_property
    def lines(self) -> list[str]:
        return lines_of(self.files)

    def loaded_at(self) -> Callable[[int], datetime]:
        """When the ith line (of `lines`) is written."""
        loads = [n for n, path in enumerate(self.files) for _ in lines_of([path])]
        return lambda i: LOADS_START + timedelta(hours=loads[i])

    def in_first(self, moment: datetime) -> bool:
        return moment < LOADS_START + timedelta(hours=self.first)

    def in_second(self, moment: datetime) -> bool:
        return not self.in_first(moment)


def comparable_tables(
    tables: dict[str, tuple[list[str], list[tuple], set[str]]], ignored: set[str]
) -> dict[str, tuple[list[str], list[tuple], set[str]]]:
    """duckdb_tables' tables without FILE_TABLES and without the `ignored` columns."""
    kept = {}
    for name, (columns, rows, json_columns) in tables.items():
        if name not in FILE_TABLES:
            kept[name] = comparable_rows(columns, rows, json_columns, ignored)
    return kept


def comparable_rows(
    columns: list[str], rows: list[tuple], json_columns: set[str], ignored: set[str]
) -> tuple[list[str], list[tuple], set[str]]:
    """The rows without the `ignored` columns, JSON numbers as floats: a property or trait a
    table holds as a float is rebuilt as one (PostgreSQL writes the float 0.0 as 0)."""
    indexes = [i for i, column in enumerate(columns) if column not in ignored]
    as_floats = {i for i in indexes if columns[i] in json_columns}
    return (
        [columns[i] for i in indexes],
        [
            tuple(numbers_as_floats(row[i]) if i in as_floats else row[i] for i in indexes)
            for row in rows
        ],
        json_columns,
    )


def numbers_as_floats(value: object) -> object:
    if not isinstance(value, str):
        return value
    return json.dumps(json.loads(value, parse_int=float))
