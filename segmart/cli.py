"""The `segmart` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb

from segmart.dbt_runner import DbtCommandError, environment, run_dbt
from segmart.progress import BuildProgress, build_summary
from segmart.quarantine import quarantine_warning
from segmart.refresh_lock import RefreshLocked, refresh_lock
from segmart.sample_data.cli import add_generator_options, config_from_args
from segmart.serving import (
    Publication,
    PublishError,
    publish,
    readable_path,
    rewrite_build_file,
    serving_path,
)
from segmart.settings import AS_OF_ENV, EVENTS_ENV, PROJECT_DIR, ConfigurationError, Settings
from segmart.sql import identifier
from segmart.targets import target_of
from segmart.warehouse import (
    FIRST_QUERY,
    HEALTH_WARNINGS_QUERY,
    MEMBERS_QUERY,
    OUTPUT_FORMATS,
    SEGMENTS_QUERY,
    TIMELINE_QUERY,
    UNMATCHED_LISTS_QUERY,
    fetch,
    format_table,
    render,
    row_counts,
    run_sql,
)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (
        ConfigurationError,
        DbtCommandError,
        FileNotFoundError,
        PublishError,
        RefreshLocked,
    ) as error:
        print(f"segmart: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segmart",
        description="Warehouse-native segmentation: Segment events -> sessions -> segments.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    generate = commands.add_parser("generate", help="write sample Segment events")
    add_generator_options(generate)
    generate.add_argument("--out", type=Path, help="folder (default: SEGMART_EVENTS)")
    generate.set_defaults(handler=_generate)

    build = commands.add_parser("build", help="build (or refresh) the warehouse with dbt")
    build.add_argument("--full-refresh", action="store_true", help="rebuild incremental models")
    build.add_argument("--select", help="dbt node selection, e.g. 'sessions+'")
    build.add_argument(
        "--no-publish",
        action="store_true",
        help="do not publish the result to the serving file BI tools read",
    )
    build.add_argument(
        "--allow-empty-events",
        action="store_true",
        help="succeed with empty tables when SEGMART_EVENTS holds no event file (else an error; "
        "as SEGMART_ALLOW_EMPTY_EVENTS=1)",
    )
    build.set_defaults(handler=_build, segments=None)

    publish = commands.add_parser(
        "publish", help="copy the warehouse to the read-only serving file BI tools read"
    )
    publish.set_defaults(handler=_publish)

    demo = commands.add_parser(
        "demo",
        help="generate sample events, materialize every asset through Dagster, print where the "
        "results are",
    )
    add_generator_options(demo, default_events=200_000)
    demo.set_defaults(handler=_demo, segments=None)

    reset_history = commands.add_parser(
        "reset-history",
        help="delete recorded membership history (entries and exits); full refreshes keep it",
    )
    reset_history.add_argument(
        "--yes", action="store_true", help="delete it (without: only say what would be deleted)"
    )
    reset_history.set_defaults(handler=_reset_history)

    forget = commands.add_parser(
        "forget",
        help="forget a person: keep their events out of every table and every later refresh",
    )
    forget.add_argument("--user-id", action="append", default=[], dest="user_ids")
    forget.add_argument("--anonymous-id", action="append", default=[], dest="anonymous_ids")
    forget.add_argument("--email", action="append", default=[], dest="emails")
    forget.add_argument(
        "--yes", action="store_true", help="forget them (without: only say what would be removed)"
    )
    forget.set_defaults(handler=_forget)

    activation = commands.add_parser(
        "activation", help="deliveries to the segments' destinations (docs/security.md)"
    )
    actions = activation.add_subparsers(required=True, metavar="ACTION")
    status = actions.add_parser(
        "status", help="per destination and segment: what was delivered and what waits"
    )
    _add_segments_option(status)
    status.set_defaults(handler=_activation_status)
    replay = actions.add_parser(
        "replay", help="send the dead letters again, each under its own webhook-id"
    )
    _add_segments_option(replay)
    replay.add_argument("--destination", help="only this one, e.g. webhook:CRM_WEBHOOK_URL")
    replay.add_argument("--segment", help="only this segment's")
    replay.set_defaults(handler=_activation_replay)
    enable = actions.add_parser(
        "enable", help="deliver again to a destination disabled by a 410 Gone answer"
    )
    enable.add_argument("destination", help="as status names it, e.g. webhook:CRM_WEBHOOK_URL")
    enable.set_defaults(handler=_activation_enable)

    summary = commands.add_parser("summary", help="row counts and where the warehouse is")
    summary.set_defaults(handler=_summary)

    sql = commands.add_parser("sql", help="run a read-only SQL query on the warehouse")
    sql.add_argument("query", help='SQL text, e.g. "select * from marts.sessions limit 5"')
    sql.set_defaults(handler=_sql)
    members = commands.add_parser("members", help="a segment's members, from its table")
    members.add_argument("segment")
    members.set_defaults(handler=_members)
    timeline = commands.add_parser(
        "timeline", help="one member's sessions and events in order (a visitor or session id)"
    )
    timeline.add_argument("member", help="a user id, anonymous id, visitor id or session id")
    timeline.set_defaults(handler=_timeline)
    for reader in (sql, members, timeline):
        reader.add_argument("--format", choices=OUTPUT_FORMATS, default="table")
        reader.add_argument(
            "--limit", type=int, default=200, help="rows at most (default 200; says when cut)"
        )

    validate = commands.add_parser("validate", help="check the segment registry (segments/*.yml)")
    _add_segments_option(validate)
    validate.set_defaults(handler=_validate)

    list_segments = commands.add_parser("list", help="list the saved segments")
    _add_segments_option(list_segments)
    list_segments.set_defaults(handler=_list_segments)

    schema = commands.add_parser(
        "schema",
        help="write the JSON schemas of segment and funnel files (schemas/segment.schema.json, "
        "schemas/funnel.schema.json)",
    )
    schema.add_argument("--out", type=Path, help="folder (default: schemas/)")
    schema.add_argument(
        "--check", action="store_true", help="only check that the files are up to date"
    )
    schema.set_defaults(handler=_schema)

    compile_ = commands.add_parser(
        "compile", help="generate a dbt model per segment (models/segments/generated/)"
    )
    _add_segments_option(compile_)
    compile_.add_argument(
        "--check", action="store_true", help="fail when generated files are out of date"
    )
    compile_.set_defaults(handler=_compile)

    show = commands.add_parser("show", help="a segment's definition and its generated SQL")
    _add_segments_option(show)
    show.add_argument("name")
    show.set_defaults(handler=_show)

    # Analyst commands: read the warehouse read-only, materialize nothing (segmart/inspect/).
    preview = commands.add_parser(
        "preview", help="a segment's size and sample members on the current warehouse"
    )
    explain = commands.add_parser(
        "explain", help="how many members each condition of a segment keeps"
    )
    diff = commands.add_parser(
        "diff", help="members an edited definition adds and removes against the current table"
    )
    for name, inspect_parser in (("preview", preview), ("explain", explain), ("diff", diff)):
        _add_segments_option(inspect_parser)
        inspect_parser.add_argument("name")
        inspect_parser.set_defaults(handler=_inspect, inspect=name)
    for sampled in (preview, diff):
        sampled.add_argument("--limit", type=int, default=10, help="sample size (default 10)")
    return parser


def _add_segments_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--segments", type=Path, help="segment registry folder (default: segments/ of the project)"
    )


def _generate_events(args: argparse.Namespace, out_dir: Path):
    from segmart.sample_data import generate

    try:
        config = config_from_args(args)
    except ValueError as error:  # an option out of range: say which, as argparse would
        sys.exit(f"segmart: {error}")
    summary = generate(out_dir, config)
    print(
        f"generated {summary.rows_written:,} raw rows in {len(summary.files)} files "
        f"under {out_dir} ({summary.seconds:.1f} s)"
    )
    return summary


def _generate(args: argparse.Namespace) -> int:
    out_dir = args.out or Path(Settings.from_env().events)
    _generate_events(args, out_dir)
    return 0


def _build(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.allow_empty_events:
        settings = replace(settings, allow_empty_events=True)
    dbt_args = ["build"]
    if args.full_refresh:
        dbt_args.append("--full-refresh")
    if args.select:
        dbt_args += ["--select", args.select]
    started = time.perf_counter()
    # Compiling writes the models a running refresh may be reading: under the lock too.
    with refresh_lock(settings):
        if not _compile_registry(args):
            return 1
        target = target_of(settings)
        landed = target.land_raw_events()
        if landed:
            print(landed)
        progress = BuildProgress()
        try:
            # Raises when a model or a test fails: nothing is published.
            dbt_result = run_dbt(dbt_args, settings, callbacks=[progress])
        finally:
            progress.close()
        print("\n".join(build_summary(dbt_result, progress, "logs/dbt.log")))
        _warn_quarantine(dbt_result, settings)
        seconds = time.perf_counter() - started
        if target.duckdb_file is None:
            print(f"built the {target.name} target in {seconds:.1f} s")
            return 0
        print(f"built {target.duckdb_file} in {seconds:.1f} s")
        for line in _data_warnings(target.duckdb_file):
            print(line, file=sys.stderr)
        if not args.no_publish:
            _print_publication(publish(settings))
    return 0


def _data_warnings(duckdb_file: Path) -> list[str]:
    """The catalog's health warnings and the list rows that match no one: what a build says
    about the data, which would otherwise wait in the tables."""
    try:
        _, health, _ = fetch(duckdb_file, HEALTH_WARNINGS_QUERY, max_rows=1000)
        _, unmatched, _ = fetch(duckdb_file, UNMATCHED_LISTS_QUERY, max_rows=1000)
    except (duckdb.CatalogException, FileNotFoundError):  # a --select that built no segments
        return []
    return [f"warning: segment {name}: {warning}" for name, warning in health] + [
        f"warning: list {name} ({by}): {count} rows match no user, e.g. {examples}"
        for name, by, count, examples in unmatched
    ]


def _warn_quarantine(dbt_result, settings: Settings) -> None:
    warning = quarantine_warning(dbt_result, settings)
    if warning:
        print(warning, file=sys.stderr)


def _publish(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    with refresh_lock(settings):
        _print_publication(publish(settings))
    return 0


def _print_publication(publication: Publication) -> None:
    if publication.compaction():
        print(publication.compaction())
    print(
        f"published {publication.path} for BI tools (marts, segments, reports; no personal data, "
        f"no private segment) and {publication.snapshot} for segmart's own commands "
        f"({publication.seconds:.1f} s)"
    )


def _demo(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not _compile_registry(args):
        return 1
    as_of = {}
    if os.environ.get(EVENTS_ENV):
        # The user's own events: read them, never overwrite them with samples.
        print(f"using the events at {settings.events} ({EVENTS_ENV})")
    else:
        _generate_events(args, Path(settings.events))
        if not os.environ.get(AS_OF_ENV):
            # The sample is fixed in time: windows ending now would miss it ("last 7 days").
            as_of = {AS_OF_ENV: config_from_args(args).end.isoformat()}
            print(
                f"segment windows end at {as_of[AS_OF_ENV]}, where the sample ends "
                f"({AS_OF_ENV}; with your own events they end at each refresh)"
            )
    # The whole pipeline through Dagster: every asset materialized, every check run, recorded in
    # the instance `bash scripts/ui.sh` shows. A full refresh: the demo's events were just
    # rewritten, so nothing loaded before still holds.
    from orchestration.pipeline import materialize_all

    output = PROJECT_DIR / "logs" / "demo-run.log"
    print(f"materializing every asset through Dagster (dbt build, checks); dbt's output: {output}")
    with environment(as_of):
        run = materialize_all(settings, full_refresh=True, output=output)
    if not run.success:
        print(f"segmart: Dagster run {run.run_id} failed:", file=sys.stderr)
        for error in run.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    print(
        f"Dagster run {run.run_id}: {run.materialized} assets materialized, "
        f"{run.checks_passed} checks passed ({run.seconds:.1f} s); "
        f"see it in the UI: bash scripts/ui.sh (instance {run.instance_home})"
    )
    served = serving_path(settings)
    if served.exists():
        print(f"published {served} for BI tools (docs/serving.md)")
    _print_summary(settings)
    return 0


def _reset_history(args: argparse.Namespace) -> int:
    arguments = json.dumps({"confirm": args.yes})
    # The macro print()s what it deletes (or would delete); run_dbt passes print() through.
    settings = Settings.from_env()
    target_of(settings).built_duckdb_file()
    with refresh_lock(settings):
        run_dbt(["run-operation", "reset_membership_history", "--args", arguments], settings)
    if not args.yes:
        print("segmart: run `segmart reset-history --yes` to delete it", file=sys.stderr)
        return 1
    return 0


def _forget(args: argparse.Namespace) -> int:
    request = {
        "user_ids": args.user_ids,
        "anonymous_ids": args.anonymous_ids,
        "emails": args.emails,
    }
    if not any(request.values()):
        print("segmart: name someone: --user-id, --anonymous-id or --email", file=sys.stderr)
        return 1
    settings = Settings.from_env()
    duckdb_file = target_of(settings).built_duckdb_file()
    with refresh_lock(settings):
        # The macro print()s the tables and row counts (docs/security.md "Deletion"). The request
        # goes by environment, and dbt's log file gets no queries: both would hold the values.
        run_dbt(
            ["run-operation", "forget", "--args", json.dumps({"confirm": args.yes})],
            settings,
            environ={"SEGMART_FORGET_REQUEST": json.dumps(request)},
            file_log_level="info",
        )
        if not args.yes:
            print("segmart: run it again with --yes to forget them", file=sys.stderr)
            return 1
        # The reports count their events without naming them, but one of their pages can be a
        # step of segment_paths: rebuilt from the tables they have left (none reads as_of).
        run_dbt(["run", "--select", "path:models/reports"], settings)
        print("rebuilt the reports from what is left")
        if duckdb_file is not None:
            rewrite_build_file(duckdb_file)
            _print_publication(publish(settings))
    return 0


def _activation_status(args: argparse.Namespace) -> int:
    from segmart.activation import STATUS_COLUMNS, activation_warehouse, delivery_status

    registry = _load_registry(args)
    if registry is None:
        return 1
    rows = delivery_status(activation_warehouse(Settings.from_env()), registry)
    print(format_table(STATUS_COLUMNS, rows) if rows else "no segment names a destination")
    return 0


def _activation_replay(args: argparse.Namespace) -> int:
    from segmart.activation import activation_warehouse, replay_dead_letters

    registry = _load_registry(args)
    if registry is None:
        return 1
    settings = Settings.from_env()
    with refresh_lock(settings):
        report = replay_dead_letters(
            activation_warehouse(settings),
            registry,
            destination=args.destination,
            segment=args.segment,
        )
    for line in report.delivered:
        print(f"delivered {line}")
    for line in report.failed + report.misconfigured:
        print(f"segmart: not delivered: {line}", file=sys.stderr)
    if not report.delivered and not report.failed + report.misconfigured:
        print("no dead letter to replay")
    return 1 if report.failed or report.misconfigured else 0


def _activation_enable(args: argparse.Namespace) -> int:
    from segmart.activation import activation_warehouse, enable_destination

    settings = Settings.from_env()
    with refresh_lock(settings):
        if not enable_destination(activation_warehouse(settings), args.destination):
            print(f"segmart: {args.destination} is not disabled", file=sys.stderr)
            return 1
    print(f"{args.destination} enabled: its waiting refreshes go out with the next refresh")
    return 0


def _sql(args: argparse.Namespace) -> int:
    return _print_query(args, args.query)


def _members(args: argparse.Namespace) -> int:
    warehouse = readable_path(Settings.from_env())
    _, known, _ = fetch(
        warehouse, "select segment_name, grain from segments.segment_catalog", 100_000
    )
    grains = dict(known)
    if args.segment not in grains:
        print(f"segmart: no segment named {args.segment!r} (segmart list)", file=sys.stderr)
        return 1
    # In visitor order (a session's too); accounts by account.
    key = "account_id" if grains[args.segment] == "account" else "visitor_id"
    return _print_query(args, MEMBERS_QUERY.format(table=identifier(args.segment), key=key))


def _timeline(args: argparse.Namespace) -> int:
    return _print_query(
        args,
        TIMELINE_QUERY,
        params=[args.member],
        empty=f"segmart: no event of {args.member!r} (a user, anonymous, visitor or session id; "
        "`segmart members SEGMENT` lists a segment's)",
    )


def _print_query(
    args: argparse.Namespace, sql: str, params: list[object] | None = None, empty: str = ""
) -> int:
    """Print a query's rows from the snapshot in --format, at most --limit of them, saying when
    it cut (on standard error for CSV and JSON, whose output a program reads)."""
    if args.limit < 1:
        print("segmart: --limit must be at least 1", file=sys.stderr)
        return 1
    try:
        names, rows, truncated = fetch(
            readable_path(Settings.from_env()), sql, args.limit, params or ()
        )
    except duckdb.Error as error:
        # The query is the user's: its error, on one line, is the whole story.
        print(f"segmart: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    if names is None:
        print("ok")
        return 0
    if not rows and empty:
        print(empty, file=sys.stderr)
        return 1
    print(render(names, rows, args.format, truncated))
    if truncated and args.format != "table":
        print(f"segmart: the first {args.limit} rows; --limit shows more", file=sys.stderr)
    return 0


def _load_registry(args: argparse.Namespace):
    """The registry, or None after printing every problem."""
    from segmart.registry import DEFAULT_SEGMENTS_DIR, RegistryError, load_registry

    try:
        return load_registry(args.segments or DEFAULT_SEGMENTS_DIR)
    except RegistryError as error:
        for problem in error.problems:
            print(problem)
        count = len(error.problems)
        print(f"{count} problem{'' if count == 1 else 's'}", file=sys.stderr)
        return None


def _compile(args: argparse.Namespace) -> int:
    from segmart.compiler import check_generated, generated_files, write_generated

    registry = _load_registry(args)
    if registry is None:
        return 1
    files = generated_files(registry)
    if args.check:
        problems = check_generated(files)
        for problem in problems:
            print(f"segmart: {problem}", file=sys.stderr)
        if problems:
            print("segmart: run `segmart compile` and commit the result", file=sys.stderr)
            return 1
        print(f"generated files of {_entries(registry)} are up to date")
        return 0
    changed = write_generated(files)
    print(f"compiled {_entries(registry)} ({len(changed)} files changed)")
    return 0


def _compile_registry(args: argparse.Namespace) -> bool:
    """`segmart compile` before a build, so an edited segments/*.yml is what gets built, never
    the SQL an earlier compile left; False (the problems printed) when the registry is invalid."""
    registry = _load_registry(args)
    if registry is None:
        return False
    from segmart.compiler import generated_files, write_generated

    changed = write_generated(generated_files(registry))
    if changed:
        print(f"compiled {len(changed)} changed file(s) of the segment registry first")
    return True


def _show(args: argparse.Namespace) -> int:
    from segmart.compiler.models import generated_files, model_name

    registry = _load_registry(args)
    if registry is None:
        return 1
    if args.name not in registry:
        print(f"segmart: no segment named {args.name!r}", file=sys.stderr)
        return 1
    print(Path(registry.files[args.name]).read_text())
    sql_name = f"{model_name(args.name)}.sql"
    print(next(f.text for f in generated_files(registry) if f.path.name == sql_name))
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from segmart.inspect.commands import run
    from segmart.registry import DEFAULT_SEGMENTS_DIR

    registry = _load_registry(args)
    if registry is None:
        return 1
    segments_dir = args.segments or DEFAULT_SEGMENTS_DIR
    return run(args.inspect, registry, args.name, segments_dir, getattr(args, "limit", 10))


def _validate(args: argparse.Namespace) -> int:
    registry = _load_registry(args)
    if registry is None:
        return 1
    print(f"{_entries(registry)} OK")
    return 0


def _entries(registry) -> str:
    """'29 segments', and ', 2 funnels' when it has funnels."""
    counts = [(len(registry), "segment"), (len(registry.funnels), "funnel")]
    return ", ".join(
        f"{count} {noun}{'' if count == 1 else 's'}"
        for count, noun in counts
        if count or noun == "segment"
    )


def _list_segments(args: argparse.Namespace) -> int:
    registry = _load_registry(args)
    if registry is None:
        return 1
    header = ("name", "grain", "refresh", "owner", "visibility", "tags", "title")
    rows = [
        (s.name, s.grain, s.refresh, s.owner, s.visibility, ", ".join(s.tags), s.title)
        for s in sorted(registry, key=lambda segment: segment.name)
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]))
    return 0


def _schema(args: argparse.Namespace) -> int:
    from segmart.registry.schema import SCHEMAS_DIR, stale_schemas, write_schemas

    folder = args.out or SCHEMAS_DIR
    if args.check:
        stale = stale_schemas(folder)
        for path in stale:
            print(f"{path} is out of date: run `segmart schema`", file=sys.stderr)
        if stale:
            return 1
        print(f"the schemas in {folder} are up to date")
        return 0
    for path in write_schemas(folder):
        print(f"wrote {path}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    _print_summary(Settings.from_env())
    return 0


def _print_summary(settings: Settings) -> None:
    warehouse = readable_path(settings)
    counts = row_counts(warehouse)
    width = max(len(name) for name in counts)
    print(f"\nDuckDB warehouse: {warehouse}")
    for table, count in counts.items():
        print(f"  {table:<{width}}  {count:>12,} rows")
    print("\nQuery it (read-only):")
    print(f'  .venv/bin/segmart sql "{" ".join(FIRST_QUERY.split())}"')
    print("or from any DuckDB client, e.g. Python:")
    print(f"  duckdb.connect('{warehouse}', read_only=True).sql('''...''')")
    print(f"\n{run_sql(warehouse, FIRST_QUERY)}")
    print("Saved segments (one table each: segments.<segment_name>):")
    print(run_sql(warehouse, SEGMENTS_QUERY + " limit 100"))
    names, rows, _ = fetch(warehouse, UNMATCHED_LISTS_QUERY)
    if rows:
        print("\nImported list rows that match no known user (segments.segment_list_unmatched):")
        print(format_table(names, rows))


if __name__ == "__main__":
    sys.exit(main())
