"""Publishing the warehouse to BI readers: after each successful refresh, a complete copy of the
DuckDB file (the serving file) replaces the previous one in one atomic rename.

DuckDB lets one process write a file, and any process holding it open (even read-only) keeps
the writer out. So refreshes write the build file (SEGMART_DUCKDB) and readers open only the
serving file (`<build dir>/serving/<build file name>`, or SEGMART_SERVING_DIR): a reader never
blocks a refresh, and it sees the state of one finished refresh, never half of one. A connection
opened before a publish keeps reading the copy it opened (the old file lives on until its last
reader closes it); the next connection opens the new one.

Why a copy of the whole file: it is faster than building the BI schemas (marts, segments,
reports, reference) into a fresh file with ATTACH + CREATE TABLE AS, or exporting them to
Parquet behind views (docs/benchmarks.md, "Measured design choices"), and it keeps every view
working (dbt-duckdb views name their catalog, which is the file name, hence the same file name in
another folder). Its costs: twice the warehouse on disk (three times while a reader still holds
an old copy), and a copy that grows linearly with the warehouse (filesystems with reflinks, such
as XFS and btrfs, clone it at once through copy_file_range).
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from segmart.settings import Settings

SERVING_DIR_ENV = "SEGMART_SERVING_DIR"
# Written into the build file just before the copy, so every serving file says when it was
# published (BI tools can show it as "data as of").
PUBLICATION_TABLE = "serving.publication"
_PARTIAL_SUFFIX = ".publishing"


class PublishError(RuntimeError):
    """The build file could not be published (another process holds it)."""


@dataclass(frozen=True)
class Publication:
    path: Path
    published_at: datetime
    bytes: int
    seconds: float


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


def readable_path(settings: Settings) -> Path:
    """What segmart's own readers (`sql`, `summary`, `preview`, `explain`, `diff`) open: the
    serving file once one is published, so they never hold the build file a refresh needs;
    else the build file."""
    served = serving_path(settings)
    return served if served.exists() else settings.duckdb_path


def publish(settings: Settings | None = None, target: Path | None = None) -> Publication:
    """Copy the build file to the serving file, atomically. Call it after a successful refresh
    only, from the process that ran it (it takes the build file's write lock for the copy, so no
    other refresh can change the file while it is copied)."""
    settings = settings or Settings.from_env()
    source = settings.duckdb_path
    target = target or serving_path(settings)
    if not source.exists():
        raise FileNotFoundError(f"no warehouse at {source}: build it first (segmart build)")
    if target.resolve() == source.resolve():
        raise ValueError(f"the serving file must not be the build file ({source})")
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    published_at = datetime.now(UTC).replace(tzinfo=None)
    partial = target.with_name(f".{target.name}.{os.getpid()}{_PARTIAL_SUFFIX}")
    # The write lock is held from the checkpoint to the end of the copy: the file cannot change.
    try:
        connection = duckdb.connect(str(source))
    except (duckdb.IOException, duckdb.ConnectionException) as error:
        raise PublishError(
            f"could not publish {source}: another process holds it ({error}). The serving "
            "file keeps the previous refresh; run `segmart publish` once the file is free."
        ) from error
    with connection:
        connection.execute("create schema if not exists serving")
        connection.execute(
            f"create or replace table {PUBLICATION_TABLE} as "
            "select cast($1 as timestamp) as published_at, $2 as build_file",
            [published_at, str(source)],
        )
        # Everything into the main file (nothing left in the .wal), so the file alone is whole.
        connection.execute("checkpoint")
        _remove_partial_copies(target)  # of a publisher that died; none can run beside us
        try:
            _copy(source, partial)
            os.replace(partial, target)
        except BaseException as error:
            partial.unlink(missing_ok=True)
            if isinstance(error, OSError) and error.errno == errno.ENOSPC:
                raise PublishError(
                    f"could not publish {source}: the disk holding {target.parent} is full. The "
                    "serving file keeps the previous refresh; free space there (or point "
                    f"{SERVING_DIR_ENV} elsewhere) and run `segmart publish`."
                ) from error
            raise
    _fsync_directory(target.parent)
    return Publication(
        path=target,
        published_at=published_at,
        bytes=target.stat().st_size,
        seconds=time.perf_counter() - started,
    )


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
    for leftover in target.parent.glob(f".{target.name}.*{_PARTIAL_SUFFIX}"):
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
