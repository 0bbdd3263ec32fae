"""The sample-data generator writes real files; these tests read them back with DuckDB."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from segmart import cli
from segmart.naming import normalize_event_name
from segmart.sample_data import (
    DUPLICATE_FAULTS,
    FAULT_SHARES,
    TRACK_EVENTS,
    GenerationSummary,
    GeneratorConfig,
    generate,
    main,
)

EVENTS = 20_000
Run = tuple[Path, GenerationSummary]
# (file day, position in the file, parsed object)
Records = list[tuple[str, int, dict[str, Any]]]
FILE_NAME = re.compile(r"events-(\d{4}-\d{2}-\d{2})\.(jsonl|parquet)")
# top-level keys (and a few nested ones) as columns of the `lines` table
JSON_FIELDS = {
    "message_id": "messageId",
    "type": "type",
    "event": "event",
    "anonymous_id": "anonymousId",
    "user_id": "userId",
    "ts": "timestamp",
    "original_ts": "originalTimestamp",
    "sent_at": "sentAt",
    "received_at": "receivedAt",
    "email": "traits.email",
    "plan": "traits.plan",
    "device_type": "context.device.type",
    "user_agent": "context.userAgent",
    "medium": "context.campaign.medium",
    "referrer": "context.page.referrer",
    "page_url": "context.page.url",
    "revenue": "properties.revenue",
}
ISO_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


@pytest.fixture(scope="module")
def jsonl_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("jsonl")
    return out, generate(out, GeneratorConfig(events=EVENTS, seed=42))


@pytest.fixture(scope="module")
def lines(jsonl_run: Run) -> duckdb.DuckDBPyConnection:
    """A connection with table `lines`: every line of every file, parsed when it is JSON."""
    out, _ = jsonl_run
    con = duckdb.connect()
    con.execute(f"""
        create table raw_lines as
        select
            regexp_extract(filename, 'events-([0-9-]+)\\.jsonl', 1) as file_day,
            line,
            case when json_valid(line) then line::json end as j
        from read_csv(
            '{out}/events-*.jsonl', header = false, quote = '', escape = '', delim = '\x01',
            columns = {{'line': 'varchar'}}, filename = true
        )
    """)
    fields = ", ".join(
        f"json_extract_string(j, '$.{key}') as {column}" for column, key in JSON_FIELDS.items()
    )
    con.execute(f"create table lines as select *, {fields} from raw_lines")
    return con


@pytest.fixture(scope="module")
def records(jsonl_run: Run) -> Records:
    """(file day, position in file, parsed object) of every valid JSON line, in file order."""
    _, summary = jsonl_run
    parsed = []
    for path in summary.files:
        day = FILE_NAME.fullmatch(path.name).group(1)
        for position, line in enumerate(path.read_text().splitlines()):
            with contextlib.suppress(json.JSONDecodeError):
                parsed.append((day, position, json.loads(line)))
    return parsed


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    (value,) = con.execute(sql).fetchone()
    return value


@pytest.mark.parametrize("output_format", ["jsonl", "parquet"])
def test_same_seed_gives_identical_bytes_and_another_seed_does_not(
    tmp_path: Path, output_format: str
) -> None:
    def run(name: str, seed: int) -> dict[str, bytes]:
        config = GeneratorConfig(events=4_000, seed=seed, days=5, output_format=output_format)
        summary = generate(tmp_path / name, config)
        return {path.name: path.read_bytes() for path in summary.files}

    first = run("first", seed=42)
    assert run("again", seed=42) == first
    other = run("other", seed=7)
    assert any(first.get(name) != data for name, data in other.items())


def test_gzip_files_hold_the_plain_files_lines(tmp_path: Path) -> None:
    def run(output_format: str) -> GenerationSummary:
        config = GeneratorConfig(events=4_000, seed=3, days=5, output_format=output_format)
        return generate(tmp_path / output_format, config)

    plain, compressed = run("jsonl"), run("jsonl.gz")
    assert [path.name + ".gz" for path in plain.files] == [path.name for path in compressed.files]
    assert compressed.faults == plain.faults and compressed.faults["invalid_json"] > 0
    for plain_file, compressed_file in zip(plain.files, compressed.files, strict=True):
        assert gzip.decompress(compressed_file.read_bytes()) == plain_file.read_bytes()
    assert compressed.bytes_written < plain.bytes_written / 4


def test_one_file_per_arrival_day(jsonl_run: Run, lines: duckdb.DuckDBPyConnection) -> None:
    out, summary = jsonl_run
    names = sorted(p.name for p in out.iterdir())
    assert names == [p.name for p in summary.files]
    assert all(FILE_NAME.fullmatch(name) for name in names)
    days = [dt.date.fromisoformat(FILE_NAME.fullmatch(n).group(1)) for n in names]
    assert days[0] == dt.date(2026, 10, 1)
    # events span 30 days; late arrivals and re-sent copies may add a few days after that
    assert dt.date(2026, 10, 30) <= days[-1] < dt.date(2026, 11, 9)
    assert (
        _scalar(
            lines,
            """select count(*) from lines
               where j is not null and file_day != left(received_at, 10)""",
        )
        == 0
    )


def test_row_count_size_and_time_format(
    jsonl_run: Run, lines: duckdb.DuckDBPyConnection, records: Records
) -> None:
    _, summary = jsonl_run
    duplicates = sum(summary.faults[kind] for kind in DUPLICATE_FAULTS)
    assert summary.events == EVENTS
    assert (
        summary.rows_written == EVENTS + duplicates == _scalar(lines, "select count(*) from lines")
    )
    assert EVENTS < summary.rows_written < EVENTS * 1.01
    assert 400 < summary.bytes_written / summary.rows_written < 1500
    assert summary.seconds > 0
    for _, _, record in records[:2000]:
        assert ISO_UTC.fullmatch(record["receivedAt"])
        assert ISO_UTC.fullmatch(record["sentAt"])


def test_every_fault_kind_is_present_and_counted(
    jsonl_run: Run, lines: duckdb.DuckDBPyConnection
) -> None:
    _, summary = jsonl_run
    assert set(summary.faults) == set(FAULT_SHARES)
    assert all(count > 0 for count in summary.faults.values()), summary.faults
    faulty = sum(summary.faults.values())
    assert 0.5 * EVENTS * 0.01 < faulty < 1.5 * EVENTS * 0.01

    def count(where: str) -> int:
        return _scalar(lines, f"select count(*) from lines where {where}")

    assert count("j is null") == summary.faults["invalid_json"]
    assert count("j is not null and message_id is null") == summary.faults["missing_message_id"]
    assert (
        count("j is not null and anonymous_id is null and user_id is null")
        == summary.faults["missing_identity"]
    )
    assert (
        count("type not in ('track', 'page', 'screen', 'identify', 'group', 'alias')")
        == summary.faults["unknown_type"]
    )
    assert count("type = 'track' and trim(event) = ''") == summary.faults["blank_event_name"]
    assert count("j is not null and ts is null") == summary.faults["clock_skew"]
    parsed_timestamp = "try_cast(ts as timestamptz)"
    received = "received_at::timestamptz"
    assert (
        count(f"ts is not null and {parsed_timestamp} is null")
        == summary.faults["unparseable_time"]
    )
    assert (
        count(f"{parsed_timestamp} > {received} + interval 24 hour")
        == summary.faults["future_time"]
    )
    assert (
        count(f"{received} > {parsed_timestamp} + interval 1 day") >= summary.faults["late_arrival"]
    )
    copies = _scalar(
        lines,
        """select count(*) - count(distinct message_id) from lines
           where message_id is not null""",
    )
    assert copies == sum(summary.faults[kind] for kind in DUPLICATE_FAULTS)


def test_clock_skew_is_correctable(lines: duckdb.DuckDBPyConnection) -> None:
    # the device clock is off by hours, but receivedAt - (sentAt - originalTimestamp) is the
    # event time as the server saw it: at most the client's batching delay before receivedAt
    rows = lines.execute("""
        select
            epoch(received_at::timestamptz) - epoch(original_ts::timestamptz),
            epoch(sent_at::timestamptz) - epoch(original_ts::timestamptz)
        from lines
        where j is not null and ts is null
    """).fetchall()
    assert rows
    for received_minus_original, sent_minus_original in rows:
        assert abs(received_minus_original) > 3000  # the raw client time is hours off
        # corrected = receivedAt - (sentAt - originalTimestamp): the batching delay before receipt
        assert 0 <= sent_minus_original < 60


def test_resent_duplicates_cross_files_and_arrive_out_of_order(records: Records) -> None:
    copies: dict[str, list[tuple[str, int, str]]] = {}
    for day, position, record in records:
        if record.get("messageId"):
            copies.setdefault(record["messageId"], []).append((day, position, record["receivedAt"]))
    duplicated = [c for c in copies.values() if len(c) > 1]
    assert any(len({day for day, _, _ in c}) > 1 for c in duplicated)
    # in file order the first copy is not always the earliest received
    assert any(sorted(c)[0][2] > min(received for _, _, received in c) for c in duplicated)
    assert any(len({received for _, _, received in c}) == 1 for c in duplicated)


def test_documented_event_names_types_and_spellings_appear(
    lines: duckdb.DuckDBPyConnection,
) -> None:
    names = {
        name
        for (name,) in lines.execute(
            "select distinct event from lines where type = 'track'"
        ).fetchall()
        if name and name.strip()
    }
    normalized = {normalize_event_name(name) for name in names}
    assert {normalize_event_name(name) for name in TRACK_EVENTS} <= normalized
    assert {"Order Completed", "order_completed", "order-completed"} & names
    assert len({n for n in names if normalize_event_name(n) == "product_viewed"}) > 1
    types = {t for (t,) in lines.execute("select distinct type from lines").fetchall()}
    assert {"page", "track", "screen", "identify", "group", "alias"} <= types


def test_identities_devices_and_channels(lines: duckdb.DuckDBPyConnection) -> None:
    visitors, identified = lines.execute("""
        select count(distinct anonymous_id),
               count(distinct anonymous_id) filter (where user_id is not null)
        from lines
    """).fetchone()
    assert 0.3 < identified / visitors < 0.5
    assert (
        _scalar(
            lines,
            "select count(*) from lines where not regexp_full_match(user_id, 'u_[0-9]{6,}')",
        )
        == 0
    )
    two_devices = """select count(*) from (select user_id from lines
        where user_id is not null group by 1 having count(distinct anonymous_id) > 1)"""
    shared_device = """select count(*) from (select anonymous_id from lines
        where user_id is not null group by 1 having count(distinct user_id) > 1)"""
    assert _scalar(lines, two_devices) > 0
    assert _scalar(lines, shared_device) > 0
    assert (
        _scalar(
            lines,
            """select count(*) from lines where type = 'identify'
           and email = user_id || '@example.com'
           and plan in ('free', 'starter', 'pro', 'enterprise')""",
        )
        > 0
    )
    devices = {d for (d,) in lines.execute("select distinct device_type from lines").fetchall()}
    assert {"mobile", "tablet", "desktop"} <= devices
    assert (
        _scalar(
            lines,
            "select count(*) from lines where j is not null and user_agent is null",
        )
        == 0
    )
    mediums = {m for (m,) in lines.execute("select distinct medium from lines").fetchall()}
    inconsistent = {"cpc", "CPC", " ppc ", "paid_search", "paid-social", "email", "Email"}
    assert inconsistent | {"affiliate", "display"} <= mediums
    assert (
        _scalar(
            lines,
            "select count(*) from lines where referrer like 'https://www.google.com/%'",
        )
        > 0
    )


def test_existing_batches_are_replaced(tmp_path: Path) -> None:
    (tmp_path / "events-2020-01-01.jsonl").write_text("stale\n")
    (tmp_path / "notes.txt").write_text("keep me\n")
    summary = generate(tmp_path, GeneratorConfig(events=500, days=3))
    assert not (tmp_path / "events-2020-01-01.jsonl").exists()
    assert (tmp_path / "notes.txt").exists()
    assert sorted(tmp_path.glob("events-*")) == sorted(summary.files)


def test_parquet_output_matches_jsonl(tmp_path: Path, lines: duckdb.DuckDBPyConnection) -> None:
    config = GeneratorConfig(events=EVENTS, seed=42, output_format="parquet")
    summary = generate(tmp_path, config)
    assert all(p.suffix == ".parquet" for p in summary.files)
    assert summary.faults["invalid_json"] == 0
    con = lines.cursor()
    con.execute(f"""
        create temp table parquet_rows as
        select * from read_parquet({[str(p) for p in summary.files]}, union_by_name = true)
    """)
    assert _scalar(con, "select count(*) from parquet_rows") == summary.rows_written
    # every valid JSON row has an identical Parquet twin (JSONL alone has invalid_json rows)
    missing = _scalar(
        con,
        """
        select count(*) from (
            select
                message_id, type, event, user_id, page_url, medium, revenue::double, email,
                received_at
            from lines
            where j is not null
            except all
            select
                "messageId", type, event, "userId", context.page.url, context.campaign.medium,
                properties.revenue, traits.email, "receivedAt"
            from parquet_rows
        )
        """,
    )
    assert missing == 0


def test_cli_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--events", "1000", "--seed", "3", "--days", "2", "--start", "2026-01-01"]
    assert main([*args, "--format", "jsonl", "--out", str(tmp_path)]) == 0
    output = capsys.readouterr().out.strip()
    assert len(output.splitlines()) == 1
    assert "wrote" in output and "rows" in output
    assert (tmp_path / "events-2026-01-01.jsonl").exists()


def test_invalid_config_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, GeneratorConfig(output_format="csv"))
    with pytest.raises(ValueError):
        generate(tmp_path, GeneratorConfig(events=0))


def test_both_command_lines_take_the_same_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `segmart generate` and `python -m segmart.sample_data` share one option parser: the same
    # options give the same files, and an out-of-range value is named, not a traceback.
    options = ["--events", "800", "--seed", "5", "--days", "2", "--fault-rate", "0.2"]
    assert main([*options, "--out", str(tmp_path / "module")]) == 0
    assert cli.main(["generate", *options, "--out", str(tmp_path / "segmart")]) == 0
    module_files = sorted(p.name for p in (tmp_path / "module").iterdir())
    assert module_files == sorted(p.name for p in (tmp_path / "segmart").iterdir())
    for name in module_files:
        assert (tmp_path / "module" / name).read_bytes() == (
            tmp_path / "segmart" / name
        ).read_bytes()
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["generate", "--fault-rate", "0.9", "--out", str(tmp_path / "bad")])
    assert exit_info.value.code == "segmart: fault_rate must be between 0 and 0.5"
    with pytest.raises(SystemExit) as exit_info:
        main(["--events", "0", "--out", str(tmp_path / "bad")])
    assert exit_info.value.code == 2
    assert "events must be at least 1" in capsys.readouterr().err
