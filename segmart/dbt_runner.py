"""Run dbt commands on the segmart project, in-process, with segmart's settings."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from segmart.failures import explain
from segmart.settings import PROJECT_DIR, Settings


class DbtCommandError(RuntimeError):
    """A dbt command failed; the message names the failing nodes and their errors. `errors` holds
    the error messages dbt logged, which for some failures (an operation's, a compile error) are
    all there is to say."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """These environment variables for the duration only (dbt reads env_var() from os.environ);
    a None value unsets the variable."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        _set_environment(values)
        yield
    finally:
        _set_environment(saved)


def _set_environment(values: Mapping[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def run_dbt(
    args: Sequence[str],
    settings: Settings | None = None,
    *,
    target_path: Path | None = None,
    quiet: bool = True,
    project_dir: Path = PROJECT_DIR,
    callbacks: Sequence[Callable] = (),
    environ: Mapping[str, str] | None = None,
    file_log_level: str = "debug",
):
    """Invoke `dbt <args>` against the project (`project_dir`, default segmart's own) and return
    dbt's result; raise on failure. `callbacks` receive every dbt event (dbtRunner callbacks);
    `environ` adds environment variables for this command. dbt's log file gets `file_log_level`
    (its debug level holds every query, with the values written into it)."""
    from dbt.cli.main import dbtRunner  # imported lazily: dbt is slow to import
    from dbt.deprecations import reset_deprecations

    settings = settings or Settings.from_env()
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    cli_args = [
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
    ]
    if target_path is not None:
        cli_args += ["--target-path", str(target_path)]
    if quiet:
        # Nothing on the terminal but what macros print(): failures come back as one
        # DbtCommandError, and dbt's whole output is in its log file.
        # (dbt applies an explicit --log-level to the file too, unless told otherwise.)
        cli_args += ["--log-level", "none", "--log-level-file", file_log_level]
    errors: list[str] = []  # dbt's error messages, for results that carry none (operations)

    def show_print(event) -> None:
        # A macro's print() is meant for the terminal, which --log-level none keeps dbt off.
        if quiet and event.info.name == "PrintEvent":
            print(event.info.msg)

    def record_error(event) -> None:
        # MainEncounteredError only repeats the exception's summary.
        if event.info.level == "error" and event.info.name != "MainEncounteredError":
            errors.append(str(event.info.msg))

    # dbt counts the deprecations it met in a module global that only a new process clears, and
    # ends every command with their summary: each command reports its own, as dbt's CLI does.
    reset_deprecations()
    with environment({**settings.as_env(), **(environ or {})}):
        try:
            result = dbtRunner(callbacks=[*callbacks, show_print, record_error]).invoke(cli_args)
        finally:
            _release_duckdb_file()
    if not result.success:
        log = project_dir / "logs" / "dbt.log"
        raise DbtCommandError(
            _describe_failure(args, result, errors, log, settings.duckdb_path), errors
        )
    return result


def _release_duckdb_file() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a command.

    dbt-duckdb caches one database handle per process and never closes it, so a later read-only
    connection to the same file from this process fails (DuckDB refuses a second configuration
    of an open file) and other processes stay locked out. Its public close_all_connections()
    drops the handle, and the environment closes the database when it is collected.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter: nothing is held
        return
    DuckDBConnectionManager.close_all_connections()


def _without_macro_stack(message: str) -> str:
    """dbt's message without the Jinja call stack it appends ("> in macro ...", "> called by
    ..."): the log keeps it; the terminal gets what failed and what to do."""
    kept = [
        line
        for line in message.splitlines()
        if not line.lstrip().startswith(("> in macro ", "> called by "))
    ]
    return "\n".join(kept).rstrip()


def _describe_failure(
    args: Sequence[str], result, errors: Sequence[str], log: Path, warehouse: Path
) -> str:
    lines = [f"dbt {' '.join(args)} failed"]
    if result.exception is not None:
        lines.append(str(result.exception))
    described = False
    for node_result in getattr(result.result, "results", None) or []:
        if str(node_result.status) in {"error", "fail"}:
            # A node's result names its node; a run-operation's (RunResultOutput) only an id,
            # and its message is None: dbt logged the error instead.
            node = getattr(node_result, "node", None)
            unique_id = node.unique_id if node is not None else node_result.unique_id
            lines.append(f"- {unique_id}: {_without_macro_stack(node_result.message or 'error')}")
            described = described or bool(node_result.message)
    if not described and result.exception is None:
        lines += errors
    # A cause the user can act on (another process holds the file, memory, disk) is said in one
    # line; the whole of dbt's output is in its log.
    explained = explain("\n".join([*lines, *errors]), warehouse)
    if explained:
        return f"dbt {args[0]} failed: {explained} (details: {log})"
    return "\n".join(lines)
