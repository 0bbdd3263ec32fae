"""Helpers shared by the engine tests (tests/engines/test_engine_*.py; no tests of its own).

Each engine test builds the same events on DuckDB, the reference, and on its engine, and compares
every table and view of every layer row for row; only types are normalized (numbers rounded to 6
digits, JSON parsed, timestamps as naive UTC).
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from rules_support import iso, write_parquet
from segments_support import AS_OF, AS_OF_TEXT, Events, as_of_env, campaign

from segmart.dbt_runner import run_dbt
from segmart.raw_inspection import MAX_LINE_BYTES
from segmart.sample_data import GeneratorConfig, generate
from segmart.settings import Settings

from conftest import write_events

LAYERS = ("reference", "staging", "intermediate", "marts", "segments", "reports")
# Every engine build, the reference's too: a time zone 5:30 from UTC, so reports' days and weeks
# go through each engine's own conversion (segmart.local_time) and must still agree.
ENGINE_VARS = ("--vars", json.dumps({"segmart_time_zone": "Asia/Kolkata"}))
# When (by clock or landing run) a row was (re)computed: differs between any two runs by design.
RUN_TIME_COLUMNS = {
    "_load_sequence",
    "_loaded_at",
    "_sessionized_run",
    "_sessionized_at",
    "recorded_at",
    "first_seen_at",
}
# Refresh history: an incremental run rightly records one refresh more than a full refresh.
HISTORY_TABLES = {
    "segments.segment_membership_changes",
    "segments.segment_membership_history",
    "segments.segment_catalog",
    "reports.segment_size_history",
}
BUILD_THREADS = "2"
# A build without dbt's data and unit tests: for builds compared table by table, or refreshes
# followed by one that runs them.
MODELS_ONLY = ("--exclude-resource-type", "test", "unit_test")


# --- events --------------------------------------------------------------------------------------


def hand_written_events() -> tuple[list[dict | str], list[dict]]:
    """Edge cases of every rule the models implement: (JSON lines, second-file messages)."""
    events = Events()
    start = AS_OF - timedelta(days=20)
    agents = [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605 Version/17 Safari/605.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120 Mobile Safari/537.36 EdgA/120",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
    ]
    referrers = [
        None,
        "https://www.google.com/search?q=x",
        "https://user:pw@news.ycombinator.com:443/item",
        "https://l.facebook.com/",
        "android-app://com.slack",
        "https://example.org/blog",
    ]
    campaigns = [
        None,
        campaign(source="google", medium="cpc", name="spring"),
        campaign(source="facebook", medium="Paid_Social", name="launch"),
        campaign(source="newsletter", medium="email"),
        campaign(source="", medium=" "),
    ]
    for n in range(40):
        visitor = f"anon-{n:02d}"
        when = start + timedelta(days=n % 19, hours=n % 7, minutes=n)
        context = {
            "userAgent": agents[n % len(agents)],
            "location": {"country": ["br", "US", "de", "JP"][n % 4]},
            **(campaigns[n % len(campaigns)] or {}),
        }
        if n % 5 == 0:
            context["device"] = {"type": "Tablet"}
        events.page(
            visitor, when, context=context, path="/", referrer=referrers[n % len(referrers)]
        )
        events.page(visitor, when + timedelta(minutes=2), path="/pricing", title="Pricing")
        events.track(visitor, "Product Viewed", when + timedelta(minutes=3), sku=f"sku-{n}")
        if n % 2 == 0:
            events.track(visitor, "product-added", when + timedelta(minutes=5), price=9.5)
        if n % 3 == 0:
            events.page(visitor, when + timedelta(minutes=6), path="/cart")
            events.track(visitor, "Checkout Started", when + timedelta(minutes=8))
        if n % 4 == 0:
            events.track(
                visitor, "Order Completed", when + timedelta(minutes=9), revenue=120.25 * n
            )
        if n % 6 == 0:
            events.track(visitor, "rage_click", when + timedelta(minutes=4))
            events.track(visitor, "Dead Click", when + timedelta(minutes=4, seconds=1))
            events.track(visitor, "js_error", when + timedelta(minutes=4, seconds=2))
        # A second session after a gap, a third by a campaign change within activity.
        events.page(visitor, when + timedelta(hours=3), path="/docs")
        events.page(
            visitor,
            when + timedelta(hours=3, minutes=1),
            path="/docs/start",
            context=campaign(source="bing", medium="cpc"),
        )
        if n % 2 == 1:
            user = f"user-{n:02d}"
            events.add(
                visitor,
                when + timedelta(hours=3, minutes=2),
                "identify",
                user_id=user,
                traits={
                    "email": f"{user}@example.com",
                    "plan": ["pro", "free", "Team", ""][n % 4],
                    "company_size": ["12", 40, "12.5", "many"][n % 4],
                    "mrr": [99.5, "120", None, "n/a"][n % 4],
                    "job_function": ["data", "Data", "engineering", None][n // 2 % 4],
                },
            )
            # Plans that change around the core feature's use (the trait at the event).
            if n % 3 == 0:
                events.identify(user, when + timedelta(hours=10), user=True, plan="enterprise")
            if n % 5 == 0:
                events.identify(user, when + timedelta(hours=21 + n), user=True, plan="pro")
            events.track(user, "Signed Up", when + timedelta(hours=3, minutes=3), user=True)
            # Accounts: three by name, one by a number id; a group call made before the identify
            # (stitched to the user), a trait that changes, employees that are no number.
            account = [f"acct-{n % 3}", 7001][n % 7 == 0]
            events.group(
                user if n % 4 == 3 else visitor,
                when + timedelta(hours=3, minutes=1 if n % 4 == 1 else 4),
                account,
                user=n % 4 == 3,
                name=f"Account {account}",
                plan=["team", "enterprise", "free"][n % 3],
                employees=[15, "40", "lots"][n % 3],
            )
            if n % 5 == 0:
                events.group(user, when + timedelta(days=2), account, user=True, plan="churned")
            events.track(user, "core_feature_used", when + timedelta(hours=20 + n), user=True)
            events.track(user, "setup_completed", when + timedelta(hours=30 * n), user=True)
            events.page(user, when + timedelta(days=7), user=True, path="/app")
            events.page(user, when + timedelta(days=14), user=True, path="/app/reports")
    # A suspected bot: one long session.
    for k in range(60):
        events.page("anon-bot", start + timedelta(minutes=15 * k), path=f"/p/{k % 7}")
    messages: list[dict | str] = list(events.messages)
    # Duplicates: the same message again, received earlier and later.
    duplicate = dict(events.messages[5])
    duplicate["receivedAt"] = iso(AS_OF - timedelta(days=30))
    messages += [dict(events.messages[3]), duplicate]
    # Skewed device clock: no timestamp, corrected by sentAt / receivedAt.
    messages.append(
        {
            "messageId": "skew-1",
            "type": "track",
            "event": "Product Viewed",
            "anonymousId": "anon-skew",
            "originalTimestamp": iso(start + timedelta(hours=5)),
            "sentAt": iso(start + timedelta(hours=5, seconds=10)),
            "receivedAt": iso(start + timedelta(hours=2, seconds=11)),
        }
    )
    # Rejected rows, one per rule.
    base = {"type": "track", "event": "x", "anonymousId": "anon-rej", "timestamp": iso(start)}
    messages += [
        "{not json",
        "[1, 2]",
        '"text"',
        "   ",
        {**base, "messageId": "  "},
        {**base, "messageId": "rej-type", "type": "unknown"},
        {**base, "messageId": "rej-id", "anonymousId": None},
        {**base, "messageId": "rej-event", "event": " \t "},
        {**base, "messageId": "rej-time", "timestamp": "yesterday"},
        {**base, "messageId": "rej-time2", "timestamp": "2024-13-45T99:00:00Z"},
        {**base, "messageId": "rej-future", "receivedAt": iso(start - timedelta(days=3))},
        {k: v for k, v in base.items() if k != "timestamp"} | {"messageId": "rej-notime"},
        {**base, "messageId": "ok-offset", "timestamp": "2024-05-10T10:00:00+02:00"},
        {**base, "messageId": "ok-naive", "timestamp": "2024-05-10 10:00:00"},
        {**base, "messageId": "ok-number-id", "anonymousId": 12345, "userId": 67.5},
        {**base, "messageId": "ok-unicode", "event": "Ünïcode Évent ✓", "properties": {"é": 1}},
        # Values of the wrong kind; look-alike strings, empty objects and JSON nulls are fine.
        {**base, "messageId": {"a": 1}},
        {**base, "messageId": True},
        {**base, "messageId": "rej-user", "userId": ["u"]},
        {**base, "messageId": "rej-anon", "anonymousId": False},
        {**base, "messageId": "rej-event-kind", "event": 5},
        {**base, "messageId": "rej-properties", "properties": "text"},
        {**base, "messageId": "rej-traits", "type": "identify", "traits": [1]},
        {**base, "messageId": "rej-group", "type": "group"},
        {**base, "messageId": "rej-group-kind", "type": "group", "groupId": {"id": 1}},
        {**base, "messageId": "rej-context", "context": "not an object"},
        {**base, "messageId": "rej-context-true", "context": True},
        {**base, "messageId": "ok-look-alike", "userId": "{}", "event": "true", "context": {}},
        {**base, "messageId": "ok-unknown-context", "context": {"ip": "10.0.0.1"}},
        # A raw line: None values are dropped from the dicts here.
        json.dumps({**base, "messageId": "ok-json-nulls", "properties": None, "context": None}),
        # Times out of range; a device clock reset to 1970 that the receipt time corrects.
        # (Year 1 from 2 January: PySpark cannot collect a timestamp within a day of its start.)
        {**base, "messageId": "rej-year-1", "timestamp": "0001-01-02T00:00:00Z"},
        {**base, "messageId": "rej-year-9999", "timestamp": "9999-12-31T23:59:59Z"},
        {**base, "messageId": "rej-received-1", "receivedAt": "0001-01-02T00:00:00Z"},
        # A device clock that jumped ten thousand years between the event and its sending: not a
        # delay to correct by (on PostgreSQL the subtraction failed the whole build).
        {k: v for k, v in base.items() if k != "timestamp"}
        | {
            "messageId": "rej-device-jump",
            "originalTimestamp": "0001-01-02T00:00:00Z",
            "sentAt": "9999-12-31T00:00:00Z",
            "receivedAt": iso(start),
        },
        {k: v for k, v in base.items() if k != "timestamp"}
        | {
            "messageId": "ok-device-1970",
            "originalTimestamp": "1970-01-01T00:00:00Z",
            "sentAt": "1970-01-01T00:00:05Z",
            "receivedAt": iso(start),
        },
    ]
    messages = [
        m if isinstance(m, str) else {k: v for k, v in m.items() if v is not None} for m in messages
    ]
    # A second file: a late arrival that happened earlier than the visitor's other events.
    late = Events()
    late.page("anon-01", start, path="/late", context=campaign(source="google", medium="cpc"))
    late.track("anon-02", "Order Completed", start + timedelta(days=1), revenue="55.5")
    return messages, late.messages


def write_fixture(events_dir: Path, *, sample: bool = True, bad_lines: bool = False) -> list[Path]:
    """Write the fixture files; returns them in arrival order. bad_lines adds a file with lines
    the reader cannot read (READ_ERROR_REASONS), for engines that inspect raw files."""
    first, second = hand_written_events()
    files = [write_events(events_dir / "a-hand.jsonl", first)]
    if bad_lines:
        files.append(write_bad_line_file(events_dir / "a-bad-lines.jsonl.gz", first[0]))
    files.append(
        write_parquet(
            events_dir / "b-parquet.parquet",
            "select 'pq-' || i as messageId, 'page' as type, 'anon-pq' as anonymousId,"
            " strftime(timestamp '2024-05-20 09:00:00' + i * interval 5 minute,"
            " '%Y-%m-%dT%H:%M:%SZ') as timestamp,"
            " {'page': {'path': '/pq/' || i}} as context from range(30) as t(i)",
        )
    )
    files += write_line_ending_files(events_dir)
    if sample:
        generate(
            events_dir / "sample",
            GeneratorConfig(events=20_000, days=10, start=(AS_OF - timedelta(days=10)).date()),
        )
        files += sorted((events_dir / "sample").iterdir())
    files.append(write_events(events_dir / "z-late.jsonl", second))
    return files


def write_bad_line_file(path: Path, good: dict | str) -> Path:
    """A gzipped JSON-lines file: a good line, a line of invalid UTF-8, a blank line, a line
    longer than the reader's limit, and the good line again (a duplicate of it)."""
    good_line = (good if isinstance(good, str) else json.dumps(good)).encode()
    too_long = b'{"messageId": "' + b"x" * MAX_LINE_BYTES + b'"}'
    lines = [good_line, b'{"messageId": "\xff"}', b"", too_long, good_line]
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", mtime=0))
    return path


# Every reject reason (docs/rules.md): the fixture breaks each rule at least once.
REJECT_REASONS = {
    "invalid_json",
    "invalid_message_id",
    "missing_message_id",
    "unknown_type",
    "invalid_user_id",
    "invalid_anonymous_id",
    "missing_identity",
    "invalid_group_id",
    "missing_group_id",
    "invalid_event_name",
    "blank_event_name",
    "invalid_properties",
    "invalid_traits",
    "invalid_context",
    "unparseable_time",
    "missing_time",
    "time_out_of_range",
    "event_time_after_receipt",
}
# Reasons for lines the reader cannot read at all (segmart/raw_inspection.py): engines that
# inspect raw files give them (tests/hostile).
READ_ERROR_REASONS = {"invalid_utf8", "line_too_long"}


# Raw lines the engines must number alike: byte order mark, CR LF and LF line breaks, blank and
# space-only lines (Unicode spaces too), a \x01 (DuckDB's column delimiter: the line ends there),
# a tab-only line, no final line break, gzip. source_line -> message id (None: rejected as
# invalid JSON).
LINE_ENDING_FILES = {
    # The first break is CR LF: a CR LF or a lone LF ends one line.
    "c-line-endings.jsonl": {1: "crlf-1", 3: "crlf-2", 5: "crlf-3", 6: None, 7: None, 9: "crlf-4"},
    # The first break is LF: every CR and every LF ends a line (CR LF ends two).
    "d-mixed-endings.jsonl.gz": {1: "lf-1", 3: "lf-2", 5: "lf-3", 6: "lf-4"},
}


def write_line_ending_files(events_dir: Path) -> list[Path]:
    def line(message_id: str, minutes: int) -> bytes:
        when = AS_OF - timedelta(days=3, minutes=-minutes)
        body = {
            "messageId": message_id,
            "type": "page",
            "anonymousId": "anon-lines",
            "timestamp": iso(when),
            "receivedAt": iso(when + timedelta(seconds=1)),
            "properties": {"path": f"/lines/{message_id}"},
        }
        return json.dumps(body).encode()

    crlf = events_dir / "c-line-endings.jsonl"
    crlf.write_bytes(
        b"\xef\xbb\xbf"
        + line("crlf-1", 0)
        + b"\r\n\r\n"
        + line("crlf-2", 1)
        + b"\r\n   \r\n"
        + line("crlf-3", 2)
        + b"\n"
        + b'{"messageId": "x\x01y"}\r\n'
        + b"\t\r\n"
        + "\u00a0\u3000".encode()  # only Unicode spaces: skipped like a blank line
        + b"\r\n"
        + line("crlf-4", 3)
    )
    mixed = events_dir / "d-mixed-endings.jsonl.gz"
    mixed.write_bytes(
        gzip.compress(
            line("lf-1", 4)
            + b"\n\n"
            + line("lf-2", 5)
            + b"\r\n"
            + line("lf-3", 6)
            + b"\r"
            + line("lf-4", 7)
            + b"\n"
        )
    )
    return [crlf, mixed]


# --- DuckDB, the reference -----------------------------------------------------------------------


def duckdb_build(events: Path, path: Path, target_path: Path, *args: str) -> None:
    with as_of_env(AS_OF_TEXT):
        run_dbt(
            ["build", "--threads", BUILD_THREADS, *ENGINE_VARS, *args],
            Settings(events=str(events), duckdb_path=path),
            target_path=target_path,
        )


# --- comparing -----------------------------------------------------------------------------------


def normalize(value, is_json: bool):
    if value is None:
        return None
    if is_json:
        return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True)
    if isinstance(value, bool):
        return value
    if isinstance(value, float | Decimal):
        number = float(value)
        return "nan" if math.isnan(number) else round(number, 6) + 0.0
    if isinstance(value, int):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat()
    return str(value) if not isinstance(value, str) else value


def duckdb_tables(path: Path) -> dict[str, tuple[list[str], list[tuple], set[str]]]:
    """Every relation of every layer: (columns, rows, JSON columns)."""
    tables = {}
    with duckdb.connect(str(path), read_only=True) as connection:
        names = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join(repr(s) for s in LAYERS)}) order by 1, 2"
        ).fetchall()
        for schema, table in names:
            relation = connection.sql(f"select * from {schema}.{table}")
            json_columns = {
                name
                for name, kind in zip(relation.columns, relation.types, strict=True)
                if str(kind) == "JSON"
            }
            tables[f"{schema}.{table}"] = (relation.columns, relation.fetchall(), json_columns)
    return tables


def comparable(columns: list[str], rows: list[tuple], json_columns: set[str]) -> Counter:
    """The rows as a multiset of normalized texts (order-free, fast to compare)."""
    kept = [(i, name in json_columns) for i, name in enumerate(columns)]
    kept = [(i, is_json) for i, is_json in kept if columns[i] not in RUN_TIME_COLUMNS]
    return Counter(
        json.dumps([normalize(row[i], is_json) for i, is_json in kept], default=str) for row in rows
    )


def assert_same_table(name: str, expected: tuple, actual: tuple, engine: str) -> None:
    """The relation `name` on another engine ((columns, rows)) holds the rows DuckDB holds."""
    columns, rows, json_columns = expected
    actual_columns, actual_rows = actual
    assert sorted(actual_columns) == sorted(columns), name
    order = [actual_columns.index(c) for c in columns]
    reordered = [tuple(row[i] for i in order) for row in actual_rows]
    want = comparable(columns, rows, json_columns)
    got = comparable(columns, reordered, json_columns)
    if want != got:
        pytest.fail(
            f"{name}: {len(rows)} rows on DuckDB, {len(actual_rows)} on {engine}; "
            f"columns {[c for c in columns if c not in RUN_TIME_COLUMNS]}\n"
            f"only on DuckDB: {list((want - got).elements())[:3]}\n"
            f"only on {engine}: {list((got - want).elements())[:3]}"
        )
