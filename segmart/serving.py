"""Publishing the warehouse to readers: after each successful refresh, two files replace their
previous versions, each in one atomic rename.

- The serving file (`<build dir>/serving/<build file name>`, or SEGMART_SERVING_DIR) is what BI
  tools read: only the schemas they need (marts, segments, reports, reference), without the
  personal-data columns the project declares (dbt var segmart_personal_data_columns) and without
  private segments (their tables, and their rows in the shared tables). It is written fresh,
  table by table, so nothing withheld is in the file at all, not even in its free blocks
  (docs/security.md).
- The snapshot (`<build dir>/snapshot/<build file name>`) is a copy of the whole build file, for
  segmart's own read-only commands (`sql`, `summary`, `preview`, `explain`, `diff`), which
  operators use on every schema and segment.

DuckDB lets one process write a file, and any process holding it open (even read-only) keeps
the writer out. So refreshes write the build file (SEGMART_DUCKDB) and readers open only these
copies: a reader never blocks a refresh, and it sees the state of one finished refresh, never
half of one. A connection opened before a publish keeps reading the copy it opened (the old file
lives on until its last reader closes it); the next connection opens the new one.

The snapshot is a file copy: faster than any rebuild (filesystems with reflinks, such as XFS and
btrfs, clone it at once through copy_file_range), and it keeps every view working (dbt-duckdb
views name their catalog, which is the file name, hence the same file name in another folder).
The serving file holds tables only (views are read into tables), so it names no other catalog.
What each costs: docs/benchmarks.md.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from segmart.settings import Settings, project_var
from segmart.sql import duckdb_string

SERVING_DIR_ENV = "SEGMART_SERVING_DIR"
# Written into the build file just before the copy, so every serving file says when it was
# published (BI tools can show it as "data as of").
PUBLICATION_TABLE = "serving.publication"
_PARTIAL_SUFFIX = ".publishing"
# The schemas BI tools read (docs/security.md): staging, intermediate, raw and activation stay in
# the warehouse and the snapshot.
PUBLISHED_SCHEMAS = ("marts", "segments", "reports", "reference", "serving")
# Columns that name a saved segment: a private segment's rows are left out where one names it.
SEGMENT_NAME_COLUMNS = ("segment_name", "other_segment_name")
# DuckDB draws a progress bar on standard output for queries over two seconds: not in our output.
QUIET = "set enable_progress_bar = false"


class PublishError(RuntimeError):
    """The build file could not be published (another process holds it)."""


@dataclass(frozen=True)
class Publication:
    path: Path  # the serving file
    published_at: datetime
    bytes: int
    seconds: float
    snapshot: Path | None = None
    # (bytes before, bytes after) when the build file was mostly free space and was rewritten.
    compacted: tuple[int, int] | None = None

    def compaction(self) -> str | None:
        """What compacting did, in one line; None when it did not happen."""
        if self.compacted is None:
            return None
        before, after = (size / 2**20 for size in self.compacted)
        return f"compacted the build file from {before:,.0f} MB to {after:,.0f} MB (half was free)"


def serving_path(settings: Settings, environ: Mapping[str, str] | None = None) -> Path:
    """Where readers find the published warehouse. The file keeps the build file's name: DuckDB
    names the catalog after the file, and the views dbt created refer to it."""
    env = os.environ if environ is None else environ
    folder = env.get(SERVING_DIR_ENV)
    if folder:
        directory = Path(folder) if os.path.isabs(folder) else Path.cwd() / folder
    else:
        directory = settings.duckdb_path.parent / "serving"
    return directory / settings.duckdb_path.name


def snapshot_path(settings: Settings) -> Path:
    """Where segmart's own readers find the whole published warehouse, beside the build file."""
    return settings.duckdb_path.parent / "snapshot" / settings.duckdb_path.name


def readable_path(settings: Settings) -> Path:
    """What segmart's own readers (`sql`, `summary`, `preview`, `explain`, `diff`) open: the
    snapshot once one is published, so they never hold the build file a refresh needs; else the
    build file."""
    snapshot = snapshot_path(settings)
    return snapshot if snapshot.exists() else settings.duckdb_path


def publish(settings: Settings | None = None, target: Path | None = None) -> Publication:
    """Write the serving file and the snapshot from the build file, each atomically. Call it
    after a successful refresh only, from the process that ran it (it holds the build file's
    write lock throughout, so no other refresh can change the file while it is read)."""
    settings = settings or Settings.from_env()
    source = settings.duckdb_path
    target = target or serving_path(settings)
    snapshot = snapshot_path(settings)
    if not source.exists():
        raise FileNotFoundError(f"no warehouse at {source}: build it first (segmart build)")
    if source.resolve() in {target.resolve(), snapshot.resolve()}:
        raise ValueError(f"the serving file must not be the build file ({source})")
    started = time.perf_counter()
    compacted = _compact_if_mostly_free(source)
    published_at = datetime.now(UTC).replace(tzinfo=None)
    try:
        connection = duckdb.connect(str(source))
    except (duckdb.IOException, duckdb.ConnectionException) as error:
        raise PublishError(
            f"could not publish {source}: another process holds it ({error}). The serving "
            "file keeps the previous refresh; run `segmart publish` once the file is free."
        ) from error
    with connection:
        connection.execute(QUIET)
        connection.execute("create schema if not exists serving")
        connection.execute(
            f"create or replace table {PUBLICATION_TABLE} as "
            "select cast($1 as timestamp) as published_at, $2 as build_file",
            [published_at, str(source)],
        )
        # Everything into the main file (nothing left in the .wal), so the file alone is whole.
        connection.execute("checkpoint")
        _replace_both(
            source,
            {
                target: lambda partial: _write_serving_file(connection, partial),
                snapshot: lambda partial: _copy(source, partial),
            },
        )
    return Publication(
        path=target,
        published_at=published_at,
        bytes=target.stat().st_size,
        seconds=time.perf_counter() - started,
        snapshot=snapshot,
        compacted=compacted,
    )


def _compact_if_mostly_free(source: Path) -> tuple[int, int] | None:
    """Rewrite the build file when over half of it is free blocks; (bytes before, bytes after),
    or None when it was not. DuckDB reuses freed blocks but never gives them back: a full
    refresh rewrites every table, so the file holds about 1.8 times its data (103 MB to 182 MB
    over 15 rebuilds). Bounded at twice: compacting costs about as much as publishing again
    (docs/benchmarks.md), too much to pay on every full refresh."""
    try:
        with duckdb.connect(str(source), read_only=True) as connection:
            used, block_size = connection.execute(
                "select used_blocks, block_size from pragma_database_size()"
            ).fetchone()
    except (duckdb.IOException, duckdb.ConnectionException):
        return None  # held by another process: publishing says so next
    # By the file's size: free_blocks also counts blocks past a file end already cut off.
    before = source.stat().st_size
    if before <= 2 * used * block_size:
        return None
    rewrite_build_file(source)
    return before, source.stat().st_size


def rewrite_build_file(source: Path) -> None:
    """Write the build file anew, holding only the rows it has now, and rename it over the old
    one. DuckDB leaves deleted values in the blocks it freed until it reuses them: after
    `segmart forget` they must leave the file (docs/security.md "Deletion"), and a file mostly
    free space shrinks. Under the refresh lock, as publishing."""

    def write(partial: Path) -> None:
        with duckdb.connect() as connection:
            connection.execute(QUIET)
            connection.execute(f"attach {duckdb_string(str(source))} as build (read_only)")
            connection.execute(f"attach {duckdb_string(str(partial))} as rewritten")
            connection.execute("copy from database build to rewritten")

    _replace_both(source, {source: write})


def _replace_both(source: Path, writers: dict[Path, Callable[[Path], None]]) -> None:
    """Write a new version of each file beside it, then rename each over the old one: when one
    cannot be written, neither is replaced, so readers of both keep the same refresh."""
    partials: dict[Path, Path] = {}
    try:
        for destination, write in writers.items():
            destination.parent.mkdir(parents=True, exist_ok=True)
            _remove_partial_copies(destination)  # of a publisher that died; none runs beside us
            partials[destination] = destination.with_name(
                f".{destination.name}.{os.getpid()}{_PARTIAL_SUFFIX}"
            )
            write(partials[destination])
    except BaseException as error:
        for partial in partials.values():
            partial.unlink(missing_ok=True)
            partial.with_name(partial.name + ".wal").unlink(missing_ok=True)  # DuckDB's log
        if _disk_full(error):
            raise PublishError(
                f"could not publish {source}: the disk holding {destination.parent} is full. "
                "Readers keep the previous refresh; free space there (or point "
                f"{SERVING_DIR_ENV} elsewhere) and run `segmart publish`."
            ) from error
        raise
    for destination, partial in partials.items():
        os.replace(partial, destination)
        _fsync_directory(destination.parent)


def _disk_full(error: BaseException) -> bool:
    """A full disk, met by a file copy (ENOSPC) or by DuckDB writing the serving file."""
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    return isinstance(error, duckdb.IOException) and "No space left on device" in str(error)


def published_tables(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, table, query) of each relation of the build file (the connection's own
    database) that the serving file holds, the query reading what BI may see of it."""
    personal = set(project_var("segmart_personal_data_columns"))
    private = _private_segments(connection)
    relations = connection.execute(
        "select table_schema, table_name, list(column_name order by ordinal_position)"
        " from information_schema.columns"
        " where table_catalog = current_database() and table_schema in"
        f" ({', '.join(duckdb_string(schema) for schema in PUBLISHED_SCHEMAS)})"
        " group by all order by all"
    ).fetchall()
    published = []
    for schema, table, columns in relations:
        if schema == "segments" and table in private:
            continue
        listed = ", ".join(_identifier(column) for column in columns if column not in personal)
        query = f"select {listed} from {_identifier(schema)}.{_identifier(table)}"
        names = [column for column in SEGMENT_NAME_COLUMNS if column in columns]
        if private and names:
            excluded = ", ".join(duckdb_string(name) for name in sorted(private))
            query += " where " + " and ".join(
                f"({_identifier(name)} is null or {_identifier(name)} not in ({excluded}))"
                for name in names
            )
        published.append((schema, table, query))
    return published


def _private_segments(connection: duckdb.DuckDBPyConnection) -> set[str]:
    try:
        rows = connection.execute(
            "select segment_name from segments.segment_definitions where visibility = 'private'"
        ).fetchall()
    except duckdb.CatalogException:  # a warehouse built without the registry's models
        return set()
    return {name for (name,) in rows}


def _write_serving_file(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A fresh DuckDB file holding, as tables, what BI may read of the build file."""
    connection.execute(f"attach {duckdb_string(str(path))} as segmart_serving")
    try:
        for schema, table, query in published_tables(connection):
            qualified = f"segmart_serving.{_identifier(schema)}"
            connection.execute(f"create schema if not exists {qualified}")
            connection.execute(f"create table {qualified}.{_identifier(table)} as {query}")
    finally:
        connection.execute("detach segmart_serving")
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy(source: Path, destination: Path) -> None:
    """Copy a file and flush it to disk. copy_file_range lets the kernel copy without passing
    the data through Python (and clone it on filesystems with reflinks)."""
    with open(source, "rb") as reader, open(destination, "wb") as writer:
        remaining = os.fstat(reader.fileno()).st_size
        try:
            while remaining > 0:
                copied = os.copy_file_range(reader.fileno(), writer.fileno(), remaining)
                if copied == 0:
                    break
                remaining -= copied
        except (AttributeError, OSError):  # not Linux, or across filesystems that refuse it
            reader.seek(0)
            writer.seek(0)
            writer.truncate()
            shutil.copyfileobj(reader, writer, 16 * 1024 * 1024)
        writer.flush()
        os.fsync(writer.fileno())


def _remove_partial_copies(target: Path) -> None:
    for leftover in target.parent.glob(f".{target.name}.*{_PARTIAL_SUFFIX}*"):
        leftover.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
