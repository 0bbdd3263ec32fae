"""Rules for reading raw Segment messages: formats, event time, rejects, duplicates, names.

One warehouse is built for the module from a folder that mixes JSONL (plain and gzipped, in
subfolders) and Parquet; every case is its own message id (and usually its own visitor).
"""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from rules_support import (
    build,
    new_warehouse,
    rows_by,
    write_events,
    write_gzip_events,
    write_parquet,
)

from segmart.dbt_runner import DbtCommandError, run_dbt

MAY_1 = "2024-05-01T08:00:00Z"
TOP_FILE = "2024-05-01.jsonl"
NESTED_FILE = "nested/2024-05-02.jsonl"
GZIP_FILE = "nested/deeper/2024-05-03.jsonl.gz"
PARQUET_FILE = "batch.parquet"


def page(message_id: str, anonymous_id: str, received_at: str, **fields) -> dict:
    body = {
        "messageId": message_id,
        "type": "page",
        "anonymousId": anonymous_id,
        "timestamp": received_at,
        "receivedAt": received_at,
    }
    body.update(fields)
    return body


def track(message_id: str, event, **fields) -> dict:
    body = page(message_id, "anon-names", "2024-05-01T12:00:00Z", type="track", **fields)
    if event is not None:
        body["event"] = event
    return body


INVALID_JSON_LINE = '{"messageId": "rej-invalid-json", "type": "page", "anonymousId": '

# The top-level JSONL file, line by line (line n is TOP_LINES[n - 1]; "" is a blank line).
TOP_LINES: list[dict | str] = [
    # 1: a clean page carrying fields segmart does not know, at the top and inside context.
    {
        "messageId": "ing-basic",
        "type": "page",
        "anonymousId": "anon-basic",
        "timestamp": "2024-05-01T08:00:00Z",
        "receivedAt": "2024-05-01T08:00:01Z",
        "someVendorField": {"nested": [1, 2, 3]},
        "writeKey": "abc",
        "context": {"page": {"path": "/home"}, "unknownThing": 1, "library": {"name": "js"}},
    },
    "",  # 2: blank lines are skipped but still counted
    INVALID_JSON_LINE,  # 3
    {"type": "page", "anonymousId": "anon-rej", "timestamp": "2024-05-01T08:00:00Z"},  # 4
    page("   ", "anon-rej", "2024-05-01T08:00:00Z"),  # 5
    page("rej-unknown-type", "anon-rej", "2024-05-01T08:00:00Z", type="click"),  # 6
    {"messageId": "rej-no-type", "anonymousId": "anon-rej", "timestamp": "2024-05-01T08:00Z"},  # 7
    {"messageId": "rej-no-identity", "type": "page", "timestamp": "2024-05-01T08:00:00Z"},  # 8
    page("rej-blank-identity", "", "2024-05-01T08:00:00Z", userId="  "),  # 9
    track("rej-blank-event", "   "),  # 10
    track("rej-tab-event", "\t \n"),  # 11
    track("rej-no-event", None),  # 12
    page("rej-bad-timestamp", "anon-rej", "2024-05-01T08:00:00Z", timestamp="not a time"),  # 13
    page("rej-bad-received", "anon-rej", "2024-13-45T08:00:00Z", timestamp="2024-05-01T08:00Z"),
    {"messageId": "rej-no-time", "type": "page", "anonymousId": "anon-rej"},  # 15
    # 16: stamped 24 h and 1 s after the server received it.
    page("rej-ahead", "anon-ahead", "2024-05-01T10:00:00Z", timestamp="2024-05-02T10:00:01Z"),
    # 17: exactly 24 h ahead is still accepted.
    page("ing-ahead-24h", "anon-ahead", "2024-05-01T10:00:00Z", timestamp="2024-05-02T10:00:00Z"),
    # 18: several rules broken: the first in the documented order is reported.
    {"type": "click", "timestamp": "nope"},
    # 19-27: event time.
    {
        "messageId": "et-timestamp",
        "type": "page",
        "anonymousId": "anon-time",
        "timestamp": "2024-05-01T09:00:00Z",
        "originalTimestamp": "2024-05-01T08:59:00Z",
        "sentAt": "2024-05-01T08:59:30Z",
        "receivedAt": "2024-05-01T09:00:10Z",
    },
    {
        # The device clock is 2 h slow: the message took 5 s to send, so it happened 5 s
        # before the server received it.
        "messageId": "et-skew",
        "type": "page",
        "anonymousId": "anon-time",
        "originalTimestamp": "2024-05-01T07:00:00Z",
        "sentAt": "2024-05-01T07:00:05Z",
        "receivedAt": "2024-05-01T09:00:07Z",
    },
    {
        "messageId": "et-original",
        "type": "page",
        "anonymousId": "anon-time",
        "originalTimestamp": "2024-05-01T09:10:00Z",
        "receivedAt": "2024-05-01T09:10:03Z",
    },
    {
        "messageId": "et-original-no-receipt",
        "type": "page",
        "anonymousId": "anon-time",
        "originalTimestamp": "2024-05-01T09:15:00Z",
        "sentAt": "2024-05-01T09:15:05Z",
    },
    {
        "messageId": "et-received",
        "type": "page",
        "anonymousId": "anon-time",
        "receivedAt": "2024-05-01T09:20:00Z",
    },
    {
        "messageId": "et-offset",
        "type": "page",
        "anonymousId": "anon-time",
        "timestamp": "2024-05-01T11:30:00+02:00",
        "receivedAt": "2024-05-01T11:30:01+02:00",
    },
    {
        "messageId": "et-skew-offset",
        "type": "page",
        "anonymousId": "anon-time",
        "originalTimestamp": "2024-05-01T11:40:00+02:00",
        "sentAt": "2024-05-01T11:40:02+02:00",
        "receivedAt": "2024-05-01T09:45:04Z",
    },
    {
        "messageId": "et-millis",
        "type": "page",
        "anonymousId": "anon-time",
        "timestamp": "2024-05-01T09:50:00.250Z",
        "receivedAt": "2024-05-01T09:50:01Z",
    },
    {
        "messageId": "et-no-zone",
        "type": "page",
        "anonymousId": "anon-time",
        "timestamp": "2024-05-01T09:55:00",
        "receivedAt": "2024-05-01T09:55:01Z",
    },
    # 28-29: numbers where Segment expects strings.
    page("ing-numeric-user", "anon-numeric", "2024-05-01T08:00:00Z", userId=42),
    {**page("ing-numeric-anon", "x", "2024-05-01T08:00:00Z"), "anonymousId": 1234},
    # 30-38: event names.
    track("name-title", "Order Completed", properties={"revenue": 10}),
    track("name-kebab", "order-completed"),
    track("name-shouting", "ORDER_COMPLETED "),
    page("name-page", "anon-names", "2024-05-01T12:00:00Z", name="Pricing"),
    page("name-screen", "anon-names", "2024-05-01T12:00:00Z", type="screen", name="Home"),
    page("name-identify", "anon-names", "2024-05-01T12:00:00Z", type="identify", userId="u-n"),
    page("name-group", "anon-names", "2024-05-01T12:00:00Z", type="group", groupId="g"),
    page("name-alias", "anon-names", "2024-05-01T12:00:00Z", type="alias", previousId="p"),
    page("name-upper-type", "anon-names", "2024-05-01T12:00:00Z", type="Page"),
    # 39-43: duplicates.
    page("dup-cross-file", "anon-dup", "2024-05-01T10:05:00Z", properties={"copy": "top"}),
    page("dup-same-file", "anon-dup", "2024-05-01T10:00:00Z", properties={"copy": "first"}),
    page("dup-same-file", "anon-dup", "2024-05-01T10:00:00Z", properties={"copy": "second"}),
    page("dup-rejected-copy", "anon-dup", "2024-05-01T10:00:00Z", timestamp="garbage"),
    page("dup-rejected-copy", "anon-dup", "2024-05-01T10:00:00Z", properties={"copy": "clean"}),
    # 44: the JSONL copy of a message the Parquet file holds, received later than that copy.
    page("dup-parquet", "anon-pq", "2024-05-01T10:30:00Z", properties={"copy": "jsonl"}),
]

NESTED_LINES: list[dict | str] = [
    page("ing-nested", "anon-nested", "2024-05-02T08:00:00Z"),  # 1
    # 2: received before the top file's copy, although it sits in a later file.
    page("dup-cross-file", "anon-dup", "2024-05-01T10:01:00Z", properties={"copy": "nested"}),
]

GZIP_LINES: list[dict] = [
    page("ing-gzip", "anon-gzip", "2024-05-03T08:00:00Z"),  # 1
    {"messageId": "rej-gzip", "type": "page", "timestamp": "2024-05-03T08:00:00Z"},  # 2
]

# Parquet rows with nested structs, written by DuckDB; userId is a BIGINT column and receivedAt a
# real TIMESTAMPTZ: Parquet exports type them so.
PARQUET_SELECT = """
select * from (values
    (
        'pq-page', 'page', 'anon-pq', 7::bigint, null::varchar,
        {'path': '/pq', 'revenue': null::double},
        '2024-05-01T08:00:00Z', timestamptz '2024-05-01 08:00:01+00',
        {'page': {'path': '/ctx', 'referrer': 'https://www.google.com/'},
         'campaign': {'source': 'news', 'medium': 'email', 'name': 'may'},
         'device': {'type': 'Mobile'}, 'location': {'country': 'fr'}}
    ),
    (
        'pq-order', 'track', 'anon-pq', 7::bigint, 'Order Completed',
        {'path': null, 'revenue': 25.5},
        '2024-05-01T08:05:00Z', timestamptz '2024-05-01 08:05:01+00',
        {'page': {'path': '/checkout', 'referrer': null},
         'campaign': {'source': null, 'medium': null, 'name': null},
         'device': {'type': null}, 'location': {'country': null}}
    ),
    (
        'rej-parquet', 'page', null, null::bigint, null,
        {'path': null, 'revenue': null::double},
        '2024-05-01T08:10:00Z', timestamptz '2024-05-01 08:10:01+00',
        {'page': {'path': null, 'referrer': null},
         'campaign': {'source': null, 'medium': null, 'name': null},
         'device': {'type': null}, 'location': {'country': null}}
    ),
    (
        'dup-parquet', 'page', 'anon-pq', null::bigint, null,
        {'path': '/parquet-copy', 'revenue': null::double},
        '2024-05-01T10:00:00Z', timestamptz '2024-05-01 10:00:00+00',
        {'page': {'path': null, 'referrer': null},
         'campaign': {'source': null, 'medium': null, 'name': null},
         'device': {'type': null}, 'location': {'country': null}}
    )
) as rows(
    messageId, type, anonymousId, userId, event, properties, "timestamp", receivedAt, context
)
"""

# Raw rows: every non-blank JSONL line and every Parquet row.
LANDED_ROWS = (len(TOP_LINES) - 1) + len(NESTED_LINES) + len(GZIP_LINES) + 4


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, dbt_target_path):
    warehouse = new_warehouse(tmp_path_factory, dbt_target_path, "rules-ingest")
    events = warehouse.events_dir
    write_events(events / TOP_FILE, TOP_LINES)
    write_events(events / NESTED_FILE, NESTED_LINES)
    write_gzip_events(events / GZIP_FILE, GZIP_LINES)
    write_parquet(events / PARQUET_FILE, PARQUET_SELECT)
    (events / "README.txt").write_text("not an event file: never read\n")
    return build(warehouse)


@pytest.fixture(scope="module")
def clean(warehouse) -> dict[str, dict]:
    return rows_by(warehouse, "select * from staging.stg_events")


@pytest.fixture(scope="module")
def rejected(warehouse) -> list[dict]:
    return warehouse.query_dicts(
        "select * from staging.stg_events_rejected order by source_file, source_line"
    )


def path_of(warehouse, relative: str) -> str:
    return str(warehouse.events_dir / relative)


def rejected_at(warehouse, rejected, relative: str, line: int) -> dict:
    matches = [
        row
        for row in rejected
        if row["source_file"] == path_of(warehouse, relative) and row["source_line"] == line
    ]
    assert len(matches) == 1, f"expected one rejected row at {relative}:{line}, got {matches}"
    return matches[0]


# --- Input formats -------------------------------------------------------------------------------


def test_a_folder_mixing_jsonl_gzipped_jsonl_and_parquet_is_read_recursively(warehouse):
    files = warehouse.query(
        "select distinct source_file from staging.stg_events_landed order by source_file"
    )
    assert [row[0] for row in files] == sorted(
        path_of(warehouse, name) for name in (TOP_FILE, NESTED_FILE, GZIP_FILE, PARQUET_FILE)
    )


def test_every_non_blank_line_and_every_parquet_row_lands_once(warehouse):
    assert warehouse.query("select count(*) from staging.stg_events_landed") == [(LANDED_ROWS,)]


def test_unknown_fields_are_ignored_and_missing_optional_fields_are_null(clean):
    row = clean["ing-basic"]
    assert row["message_type"] == "page"
    assert row["anonymous_id"] == "anon-basic"
    assert row["page_path"] == "/home"
    assert row["library_name"] == "js"
    for missing in (
        "user_id",
        "page_url",
        "page_referrer",
        "page_title",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "device_type",
        "user_agent",
        "country",
        "properties",
        "traits",
        "original_timestamp_at",
        "sent_at",
    ):
        assert row[missing] is None, missing


def test_columns_are_snake_case_versions_of_segment_camel_case_fields(warehouse):
    columns = {
        row[0]
        for row in warehouse.query(
            "select column_name from information_schema.columns "
            "where table_schema = 'staging' and table_name = 'stg_events'"
        )
    }
    assert {"message_id", "anonymous_id", "user_id", "original_timestamp_at", "sent_at"} <= columns
    assert {"received_at", "event_name", "utm_source", "library_version"} <= columns
    assert all(column == column.lower() for column in columns)
    assert not columns & {"messageid", "anonymousid", "userid", "somevendorfield", "writekey"}


def test_a_numeric_user_id_is_read_as_text(clean):
    assert clean["ing-numeric-user"]["user_id"] == "42"
    assert clean["ing-numeric-anon"]["anonymous_id"] == "1234"


def test_parquet_rows_with_nested_structs_are_read_like_json(clean, warehouse):
    row = clean["pq-page"]
    assert {
        key: row[key]
        for key in (
            "message_type",
            "anonymous_id",
            "user_id",
            "page_path",
            "page_referrer",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "device_type",
            "country",
            "event_at",
            "received_at",
            "source_file",
            "source_line",
        )
    } == {
        "message_type": "page",
        "anonymous_id": "anon-pq",
        "user_id": "7",
        "page_path": "/pq",  # properties.path wins over context.page.path
        "page_referrer": "https://www.google.com/",
        "utm_source": "news",
        "utm_medium": "email",
        "utm_campaign": "may",
        "device_type": "mobile",
        "country": "FR",
        "event_at": datetime(2024, 5, 1, 8, 0, 0),
        "received_at": datetime(2024, 5, 1, 8, 0, 1),
        "source_file": path_of(warehouse, PARQUET_FILE),
        "source_line": 1,
    }
    order = clean["pq-order"]
    assert (order["event_name"], order["event_name_original"]) == (
        "order_completed",
        "Order Completed",
    )
    assert json.loads(order["properties"])["revenue"] == 25.5
    assert order["page_path"] == "/checkout"


def test_a_gzipped_jsonl_file_is_read_with_its_line_numbers(clean, rejected, warehouse):
    assert clean["ing-gzip"]["source_line"] == 1
    assert rejected_at(warehouse, rejected, GZIP_FILE, 2)["reject_reason"] == "missing_identity"


# --- Event time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message_id", "expected_event_at"),
    [
        ("et-timestamp", datetime(2024, 5, 1, 9, 0, 0)),
        ("et-skew", datetime(2024, 5, 1, 9, 0, 2)),
        ("et-original", datetime(2024, 5, 1, 9, 10, 0)),
        ("et-original-no-receipt", datetime(2024, 5, 1, 9, 15, 0)),
        ("et-received", datetime(2024, 5, 1, 9, 20, 0)),
        ("et-offset", datetime(2024, 5, 1, 9, 30, 0)),
        ("et-skew-offset", datetime(2024, 5, 1, 9, 45, 2)),
        ("et-millis", datetime(2024, 5, 1, 9, 50, 0, 250000)),
        ("et-no-zone", datetime(2024, 5, 1, 9, 55, 0)),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_event_time_rule(clean, message_id, expected_event_at):
    """timestamp; else receivedAt - (sentAt - originalTimestamp); else originalTimestamp; else
    receivedAt. Offsets are converted to UTC; a time without offset is UTC."""
    assert clean[message_id]["event_at"] == expected_event_at


def test_timestamp_wins_over_the_other_three_times(clean):
    row = clean["et-timestamp"]
    assert (row["original_timestamp_at"], row["sent_at"], row["received_at"]) == (
        datetime(2024, 5, 1, 8, 59, 0),
        datetime(2024, 5, 1, 8, 59, 30),
        datetime(2024, 5, 1, 9, 0, 10),
    )
    assert row["event_at"] == row["timestamp_at"] == datetime(2024, 5, 1, 9, 0, 0)


def test_every_time_with_an_offset_is_stored_in_utc(clean):
    row = clean["et-offset"]
    assert (row["timestamp_at"], row["received_at"]) == (
        datetime(2024, 5, 1, 9, 30, 0),
        datetime(2024, 5, 1, 9, 30, 1),
    )


def test_an_event_stamped_exactly_24_hours_after_receipt_is_accepted(clean):
    assert clean["ing-ahead-24h"]["event_at"] == datetime(2024, 5, 2, 10, 0, 0)


# --- Rejected rows -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected_reason"),
    [
        (3, "invalid_json"),
        (4, "missing_message_id"),
        (5, "missing_message_id"),
        (6, "unknown_type"),
        (7, "unknown_type"),
        (8, "missing_identity"),
        (9, "missing_identity"),
        (10, "blank_event_name"),
        (11, "blank_event_name"),
        (12, "blank_event_name"),
        (13, "unparseable_time"),
        (14, "unparseable_time"),
        (15, "missing_time"),
        (16, "event_time_after_receipt"),
        (18, "missing_message_id"),
        (42, "unparseable_time"),
    ],
)
def test_rejected_line_has_its_reason(warehouse, rejected, line, expected_reason):
    assert rejected_at(warehouse, rejected, TOP_FILE, line)["reject_reason"] == expected_reason


def test_a_rejected_row_keeps_the_raw_line_exactly_as_received(warehouse, rejected):
    assert rejected_at(warehouse, rejected, TOP_FILE, 3)["raw_message"] == INVALID_JSON_LINE
    for line in (4, 10, 11, 16):
        row = rejected_at(warehouse, rejected, TOP_FILE, line)
        assert row["raw_message"] == json.dumps(TOP_LINES[line - 1])


def test_a_rejected_row_keeps_the_fields_that_could_be_read(warehouse, rejected):
    row = rejected_at(warehouse, rejected, TOP_FILE, 16)
    assert (row["message_id"], row["message_type"], row["anonymous_id"]) == (
        "rej-ahead",
        "page",
        "anon-ahead",
    )
    assert (row["event_at"], row["received_at"]) == (
        datetime(2024, 5, 2, 10, 0, 1),
        datetime(2024, 5, 1, 10, 0, 0),
    )


def test_a_rejected_parquet_row_has_its_row_number_and_the_row_as_json(warehouse, rejected):
    row = rejected_at(warehouse, rejected, PARQUET_FILE, 3)
    assert row["reject_reason"] == "missing_identity"
    raw = json.loads(row["raw_message"])
    assert (raw["messageId"], raw["anonymousId"], raw["userId"]) == ("rej-parquet", None, None)


def test_exactly_the_rows_that_break_a_rule_are_rejected(warehouse, rejected):
    assert sorted((row["source_file"], row["source_line"]) for row in rejected) == sorted(
        [(path_of(warehouse, TOP_FILE), line) for line in [*range(3, 17), 18, 42]]
        + [(path_of(warehouse, GZIP_FILE), 2), (path_of(warehouse, PARQUET_FILE), 3)]
    )


def test_rejected_messages_never_reach_clean_events(clean):
    assert not [message_id for message_id in clean if message_id.startswith("rej-")]


# --- Duplicates ----------------------------------------------------------------------------------


def test_the_earliest_received_copy_is_kept_even_when_it_is_in_a_later_file(clean, warehouse):
    row = clean["dup-cross-file"]
    assert json.loads(row["properties"]) == {"copy": "nested"}
    assert (row["source_file"], row["source_line"], row["received_at"]) == (
        path_of(warehouse, NESTED_FILE),
        2,
        datetime(2024, 5, 1, 10, 1, 0),
    )


def test_copies_received_at_the_same_instant_keep_the_first_line(clean):
    row = clean["dup-same-file"]
    assert (json.loads(row["properties"]), row["source_line"]) == ({"copy": "first"}, 40)


def test_a_parquet_copy_received_earlier_beats_a_jsonl_copy(clean):
    assert json.loads(clean["dup-parquet"]["properties"])["path"] == "/parquet-copy"


def test_a_rejected_copy_does_not_hide_the_clean_copy_of_the_same_message(clean):
    assert json.loads(clean["dup-rejected-copy"]["properties"]) == {"copy": "clean"}


def test_set_aside_copies_are_listed_beside_the_kept_copy(warehouse):
    rows = warehouse.query_dicts(
        "select * exclude (source_file, kept_source_file),"
        f" replace(source_file, '{warehouse.events_dir}/', '') as source_file,"
        f" replace(kept_source_file, '{warehouse.events_dir}/', '') as kept_source_file"
        " from staging.stg_events_duplicates order by message_id"
    )
    assert rows == [
        {
            "message_id": "dup-cross-file",
            "source_line": 39,
            "received_at": datetime(2024, 5, 1, 10, 5, 0),
            "kept_source_line": 2,
            "kept_received_at": datetime(2024, 5, 1, 10, 1, 0),
            "source_file": TOP_FILE,
            "kept_source_file": NESTED_FILE,
        },
        {
            "message_id": "dup-parquet",
            "source_line": 44,
            "received_at": datetime(2024, 5, 1, 10, 30, 0),
            "kept_source_line": 4,
            "kept_received_at": datetime(2024, 5, 1, 10, 0, 0),
            "source_file": TOP_FILE,
            "kept_source_file": PARQUET_FILE,
        },
        {
            "message_id": "dup-same-file",
            "source_line": 41,
            "received_at": datetime(2024, 5, 1, 10, 0, 0),
            "kept_source_line": 40,
            "kept_received_at": datetime(2024, 5, 1, 10, 0, 0),
            "source_file": TOP_FILE,
            "kept_source_file": TOP_FILE,
        },
    ]


def test_landed_rows_reconcile_to_clean_plus_rejected_plus_duplicates(warehouse):
    counts = warehouse.query(
        """
        select
            (select count(*) from staging.stg_events_landed),
            (select count(*) from staging.stg_events),
            (select count(*) from staging.stg_events_rejected),
            (select count(*) from staging.stg_events_duplicates)
        """
    )[0]
    rejected_count = 16 + 1 + 1  # top file, gzip file, parquet file
    duplicate_count = 3
    assert counts == (
        LANDED_ROWS,
        LANDED_ROWS - rejected_count - duplicate_count,
        rejected_count,
        duplicate_count,
    )


def test_one_clean_event_per_message_id(warehouse):
    assert warehouse.query(
        "select count(*), count(distinct message_id) from staging.stg_events"
    ) == [(LANDED_ROWS - 18 - 3,) * 2]


# --- Event names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message_id", "expected_name", "expected_original"),
    [
        ("name-title", "order_completed", "Order Completed"),
        ("name-kebab", "order_completed", "order-completed"),
        ("name-shouting", "order_completed", "ORDER_COMPLETED "),
    ],
)
def test_track_event_names_are_normalized_and_the_original_is_kept(
    clean, message_id, expected_name, expected_original
):
    row = clean[message_id]
    assert (row["event_name"], row["event_name_original"]) == (expected_name, expected_original)


@pytest.mark.parametrize(
    ("message_id", "expected_name"),
    [
        ("name-page", "page"),
        ("name-screen", "screen"),
        ("name-identify", "identify"),
        ("name-group", "group"),
        ("name-alias", "alias"),
        ("name-upper-type", "page"),
    ],
)
def test_a_non_track_message_is_named_after_its_type(clean, message_id, expected_name):
    assert clean[message_id]["event_name"] == expected_name


def test_a_page_or_screen_keeps_its_name_as_the_original(clean):
    assert clean["name-page"]["event_name_original"] == "Pricing"
    assert clean["name-screen"]["event_name_original"] == "Home"


# --- SEGMART_EVENTS as a glob or a single file ---------------------------------------------------


@pytest.fixture(scope="module")
def glob_warehouse(tmp_path_factory, dbt_target_path):
    # A glob without a file suffix: matching files are read by their own suffix.
    warehouse = new_warehouse(tmp_path_factory, dbt_target_path, "rules-glob", "part-*")
    folder = warehouse.events_dir.parent
    write_events(folder / "part-1.jsonl", [page("glob-1", "anon-glob", MAY_1)])
    # Valid JSON that is not an object is no message.
    write_events(folder / "part-2.jsonl", [page("glob-2", "anon-glob", MAY_1), "[1, 2]"])
    (folder / "part-3.csv").write_text("not,an,event,file\n")
    write_events(folder / "other.jsonl", [page("glob-other", "anon-glob", MAY_1)])
    write_events(folder / "sub" / "part-3.jsonl", [page("glob-3", "anon-glob", MAY_1)])
    return build(warehouse, "--select", "path:models/staging")


@pytest.fixture(scope="module")
def single_file_warehouse(tmp_path_factory, dbt_target_path):
    warehouse = new_warehouse(tmp_path_factory, dbt_target_path, "rules-file", "only.parquet")
    folder = warehouse.events_dir.parent
    write_parquet(
        folder / "only.parquet",
        "select 'file-1' as messageId, 'page' as type, 'anon-file' as anonymousId,"
        " '2024-05-01T08:00:00Z' as receivedAt",
    )
    write_events(folder / "ignored.jsonl", [page("file-ignored", "anon-f", "2024-05-01T08:00:00Z")])
    return build(warehouse, "--select", "path:models/staging")


def test_a_glob_reads_only_the_matching_files(glob_warehouse):
    assert glob_warehouse.query("select message_id from staging.stg_events order by 1") == [
        ("glob-1",),
        ("glob-2",),
    ]


def test_a_json_line_that_is_not_an_object_is_rejected_as_invalid_json(glob_warehouse):
    assert glob_warehouse.query(
        "select source_line, reject_reason, raw_message from staging.stg_events_rejected"
    ) == [(2, "invalid_json", "[1, 2]")]


def test_a_file_that_is_neither_json_lines_nor_parquet_is_skipped(glob_warehouse):
    assert glob_warehouse.query(
        "select count(*) from staging.stg_events_landed where source_file like '%.csv'"
    ) == [(0,)]


def test_a_single_file_is_read_alone(single_file_warehouse):
    assert single_file_warehouse.query(
        "select message_id, event_at, source_line from staging.stg_events"
    ) == [("file-1", datetime(2024, 5, 1, 8, 0, 0), 1)]


# --- Values of the wrong kind and times out of range ----------------------------------------------

RECEIVED = "2024-05-01T12:00:00Z"


def value_page(message_id, **fields) -> dict:
    """A clean page message; fields replace or add top-level keys (a None value is sent as null)."""
    return {**page(message_id, "anon-values", RECEIVED), **fields}


# (message, the reason it is rejected: None when it is clean). Line n is VALUE_LINES[n - 1].
VALUE_LINES: list[tuple[dict, str | None]] = [
    (value_page({"a": 1}), "invalid_message_id"),
    (value_page(["x"]), "invalid_message_id"),
    (value_page(True), "invalid_message_id"),
    (value_page("val-user-object", userId={"id": 1}), "invalid_user_id"),
    (value_page("val-user-true", userId=True), "invalid_user_id"),
    (value_page("val-anon-false", anonymousId=False, userId="u-1"), "invalid_anonymous_id"),
    (value_page("val-anon-array", anonymousId=["a"]), "invalid_anonymous_id"),
    (value_page("val-event-number", type="track", event=5), "invalid_event_name"),
    (value_page("val-event-object", type="track", event={"name": "x"}), "invalid_event_name"),
    (value_page("val-event-on-page", event=True), "invalid_event_name"),
    (value_page("val-properties-text", properties="text"), "invalid_properties"),
    (value_page("val-properties-array", properties=[1, 2]), "invalid_properties"),
    (value_page("val-traits-number", type="identify", userId="u-2", traits=7), "invalid_traits"),
    (value_page("val-context-text", context="not an object"), "invalid_context"),
    (value_page("val-context-array", context=[]), "invalid_context"),
    (value_page("val-context-true", context=True), "invalid_context"),
    (value_page("val-year-1", timestamp="0001-01-01T00:00:00Z"), "time_out_of_range"),
    (
        value_page(
            "val-year-9999", timestamp="9999-12-31T23:59:59Z", receivedAt="9999-12-31T23:59:59Z"
        ),
        "time_out_of_range",
    ),
    (value_page("val-received-year-1", receivedAt="0001-01-01T00:00:00Z"), "time_out_of_range"),
    (value_page("val-before-2000", timestamp="1999-12-31T23:59:59Z"), "time_out_of_range"),
    # A device clock that jumped between the event and its sending is not corrected by it: the
    # device time stands (and is out of range).
    (
        {
            **value_page("val-device-jump", originalTimestamp="0001-01-02T00:00:00Z"),
            "sentAt": "9999-12-31T00:00:00Z",
            "timestamp": None,
        },
        "time_out_of_range",
    ),
    # Clean: what Segment accepts (numbers as ids, strings that look like other kinds), null or
    # empty objects, a device clock reset to 1970 that the receipt time corrects, the limit itself.
    (value_page(123), None),
    (value_page("val-number-user", userId=42.5), None),
    (value_page("val-looks-like-object", userId="{}", event="true"), None),
    (value_page("val-nulls", properties=None, traits=None, context=None, userId=None), None),
    (value_page("val-empty-context", context={}, properties={}), None),
    (value_page("val-unknown-context", context={"ip": "10.0.0.1"}), None),
    (
        {
            **value_page("val-device-1970", originalTimestamp="1970-01-01T00:00:00Z"),
            "sentAt": "1970-01-01T00:00:05Z",
            "timestamp": None,
        },
        None,
    ),
    (value_page("val-at-earliest", timestamp="2000-01-01T00:00:00Z"), None),
    # A group call names its account (groupId) as ids are named; on other calls it is ignored.
    (value_page("val-group-none", type="group", userId="u-3"), "missing_group_id"),
    (value_page("val-group-blank", type="group", userId="u-3", groupId=" "), "missing_group_id"),
    (value_page("val-group-object", type="group", groupId={"id": 1}), "invalid_group_id"),
    (value_page("val-group-number", type="group", userId="u-3", groupId=7), None),
    (value_page("val-group-on-page", groupId=["x"]), None),
]


def without_none_timestamp(message: dict) -> dict:
    """A None timestamp means: leave the key out (other None values are sent as JSON null)."""
    return {k: v for k, v in message.items() if not (k == "timestamp" and v is None)}


@pytest.fixture(scope="module")
def values_warehouse(tmp_path_factory, dbt_target_path):
    warehouse = new_warehouse(tmp_path_factory, dbt_target_path, "rules-values")
    write_events(
        warehouse.events_dir / "values.jsonl",
        [without_none_timestamp(message) for message, _ in VALUE_LINES],
    )
    return build(warehouse, "--select", "path:models/staging")


@pytest.mark.parametrize(
    ("line", "expected_reason"),
    [(n, reason) for n, (_, reason) in enumerate(VALUE_LINES, start=1)],
)
def test_a_value_of_the_wrong_kind_or_time_is_rejected_with_its_reason(
    values_warehouse, line, expected_reason
):
    [(reason,)] = values_warehouse.query(
        "select reject_reason from staging.stg_events_landed where source_line = ?", [line]
    )
    assert reason == expected_reason


def test_an_id_of_the_wrong_kind_is_kept_in_the_raw_line_only(values_warehouse):
    rows = values_warehouse.query_dicts(
        "select * from staging.stg_events_rejected where source_line in (1, 4) order by 1, 2"
    )
    assert [json.loads(row["raw_message"])["messageId"] for row in rows] == [
        {"a": 1},
        "val-user-object",
    ]
    assert [(row["message_id"], row["user_id"], row["anonymous_id"]) for row in rows] == [
        (None, None, "anon-values"),
        ("val-user-object", None, "anon-values"),
    ]


def test_only_a_group_call_has_an_account(values_warehouse):
    assert values_warehouse.query(
        "select message_id, group_id from staging.stg_events"
        " where message_id like 'val-group-%' order by 1"
    ) == [("val-group-number", "7"), ("val-group-on-page", None)]


def test_properties_or_traits_of_the_wrong_kind_are_kept_in_the_raw_line_only(values_warehouse):
    assert values_warehouse.query(
        "select message_id, properties, traits from staging.stg_events_landed"
        " where message_id in ('val-properties-text', 'val-traits-number') order by 1"
    ) == [("val-properties-text", None, None), ("val-traits-number", None, None)]


def test_numbers_are_read_as_text_ids_and_look_alike_strings_stay_strings(values_warehouse):
    rows = rows_by(values_warehouse, "select * from staging.stg_events")
    assert rows["123"]["anonymous_id"] == "anon-values"
    assert rows["val-number-user"]["user_id"] == "42.5"
    assert rows["val-looks-like-object"]["user_id"] == "{}"
    assert rows["val-device-1970"]["event_at"] == datetime(2024, 5, 1, 11, 59, 55)
    assert rows["val-at-earliest"]["event_at"] == datetime(2000, 1, 1)


def test_raw_rows_still_reconcile_with_the_value_rules(values_warehouse):
    rejected = sum(1 for _, reason in VALUE_LINES if reason is not None)
    assert values_warehouse.query(
        "select (select count(*) from staging.stg_events_landed),"
        " (select count(*) from staging.stg_events),"
        " (select count(*) from staging.stg_events_rejected)"
    ) == [(len(VALUE_LINES), len(VALUE_LINES) - rejected, rejected)]


def test_the_event_time_limits_are_settings(tmp_path_factory, dbt_target_path):
    warehouse = new_warehouse(tmp_path_factory, dbt_target_path, "rules-limits")
    write_events(
        warehouse.events_dir / "limits.jsonl",
        [
            value_page("limit-early", timestamp="2024-04-30T23:59:59Z"),
            value_page("limit-inside", timestamp="2024-05-01T10:00:00Z", receivedAt=RECEIVED),
            value_page(
                "limit-late-receipt",
                timestamp="2024-05-01T10:00:00Z",
                receivedAt="2024-05-01T12:00:01Z",
            ),
        ],
    )
    limits = {"earliest_event_time": "2024-05-01", "latest_event_time": "2024-05-01T14:00+02:00"}
    build(warehouse, "--select", "path:models/staging", "--vars", json.dumps(limits))
    assert dict(
        warehouse.query("select message_id, reject_reason from staging.stg_events_landed")
    ) == {
        "limit-early": "time_out_of_range",
        # Received at 12:00 UTC, the latest time allowed (14:00+02:00): both limits are in range.
        "limit-inside": None,
        "limit-late-receipt": "time_out_of_range",
    }


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"earliest_event_time": "yesterday"}, "var earliest_event_time must be an ISO-8601"),
        ({"latest_event_time": "2024-02-30"}, "var latest_event_time must be an ISO-8601"),
        (
            {"earliest_event_time": "2030-01-01", "latest_event_time": "2020-01-01"},
            "must be before latest_event_time",
        ),
    ],
)
def test_a_wrong_event_time_limit_is_an_error(values_warehouse, limits, message):
    with pytest.raises(DbtCommandError, match=re.escape(message)):
        run_dbt(
            ["compile", "--select", "stg_events_landed", "--vars", json.dumps(limits)],
            values_warehouse.settings,
            target_path=values_warehouse.target_path,
        )
