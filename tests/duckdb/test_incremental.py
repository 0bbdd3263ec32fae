"""Incremental refresh gives exactly what a full refresh gives.

The same raw rows are delivered in shuffled batches, one new file per batch with an incremental
run after each, and compared row for row with one full refresh over the same files. Shuffling
means late events, logins that arrive after the anonymous history they re-attribute, and
duplicate copies received earlier than the copy already kept. The same comparison is made for
the files delivered day by day in arrival order, the way a scheduled refresh sees them.
"""

from __future__ import annotations

import json
import random
from datetime import datetime

import duckdb
import pytest

from segmart.sample_data import GeneratorConfig, generate

from conftest import Warehouse, write_events

# Bookkeeping columns that say *when* (or in which landing run) a row was computed, which
# differs by design.
RUN_COLUMNS = ("_load_sequence", "_loaded_at", "_sessionized_run", "_sessionized_at")

COMPARED_RELATIONS = (
    "staging.stg_events",
    "staging.stg_events_rejected",
    "staging.stg_events_duplicates",
    "intermediate.int_identity_map",
    "intermediate.int_events_sessionized",
    "marts.sessions",
    "marts.users",
    "marts.events",
    "marts.page_views",
)


def _message(message_id: str, at: str, received: str | None = None, **fields) -> dict:
    return {
        "messageId": message_id,
        "type": "page",
        "timestamp": f"2026-10-{at}Z",
        "receivedAt": f"2026-10-{received or at}Z",
        **fields,
    }


# Hand-written messages for the cases random shuffling may not hit, each pinned to the batch
# (0-3) it arrives in, so the awkward one always arrives after what it changes.
EDGE_CASES: dict[int, list[dict]] = {
    0: [
        # An anonymous visit; the login that re-attributes it arrives later.
        _message("edge-1", "03T09:00:00", anonymousId="edge-anon"),
        # Two sessions of the user that a late event in between merges into one.
        _message("edge-3", "03T12:00:00", userId="edge-user"),
        _message("edge-4", "03T12:50:00", userId="edge-user"),
        # A copy of edge-6 under another visitor; an earlier-received copy arrives later.
        _message("edge-6", "04T10:00:00", "04T10:00:09", anonymousId="edge-anon-late-copy"),
        _message("edge-7", "04T10:20:00", anonymousId="edge-anon-late-copy"),
        _message("edge-8", "04T10:40:00", anonymousId="edge-anon-late-copy"),
    ],
    1: [
        _message(
            "edge-2", "03T09:10:00", type="identify", anonymousId="edge-anon", userId="edge-user"
        ),
    ],
    2: [
        _message(
            "edge-5",
            "03T12:25:00",
            "05T08:00:00",
            userId="edge-user",
            type="track",
            event="Product Added",
        ),
    ],
    3: [
        _message(
            "edge-6",
            "04T10:00:00",
            "04T10:00:01",
            anonymousId="edge-anon-first-copy",
            properties={"path": "/first-copy"},
        ),
    ],
}

BATCHES = 4
SAMPLE_DAYS = 5


def _sample_files(tmp_path) -> list:
    """The generator's files in arrival order (one per receipt day, then late trickles)."""
    config = GeneratorConfig(events=20_000, seed=7, days=SAMPLE_DAYS)
    return generate(tmp_path / "sample", config).files


def _raw_lines(tmp_path) -> list[str]:
    lines = []
    for path in _sample_files(tmp_path):
        lines += [line for line in path.read_text().splitlines() if line.strip()]
    return lines


def _differences(left: Warehouse, right: Warehouse, relation: str) -> tuple[int, int, int]:
    """(rows only in left, rows only in right, left row count), ignoring run bookkeeping."""
    # Attach each file under its own name: dbt-duckdb's views name their catalog explicitly.
    left_db, right_db = left.duckdb_path.stem, right.duckdb_path.stem
    with duckdb.connect() as connection:
        connection.execute(f"attach '{left.duckdb_path}' as {left_db} (read_only)")
        connection.execute(f"attach '{right.duckdb_path}' as {right_db} (read_only)")
        present = {
            name
            for (name,) in connection.execute(
                "select column_name from information_schema.columns "
                "where table_catalog = ? and table_schema || '.' || table_name = ?",
                [left_db, relation],
            ).fetchall()
        }
        excluded = ", ".join(column for column in RUN_COLUMNS if column in present)
        columns = f"* exclude ({excluded})" if excluded else "*"

        def count(sql: str) -> int:
            return connection.execute(f"select count(*) from ({sql})").fetchone()[0]

        left_rows = f"select {columns} from {left_db}.{relation}"
        right_rows = f"select {columns} from {right_db}.{relation}"
        return (
            count(f"{left_rows} except all {right_rows}"),
            count(f"{right_rows} except all {left_rows}"),
            count(left_rows),
        )


@pytest.fixture(scope="module")
def incremental_and_full(tmp_path_factory) -> tuple[Warehouse, Warehouse]:
    root = tmp_path_factory.mktemp("incremental")
    target_path = tmp_path_factory.mktemp("incremental-target")
    lines = _raw_lines(root)
    random.Random(11).shuffle(lines)

    events_dir = root / "events"
    incremental = Warehouse(events_dir, root / "incremental.duckdb", target_path)
    size = len(lines) // BATCHES + 1
    incremental.dbt("seed")
    for batch in range(BATCHES):
        batch_lines = lines[batch * size : (batch + 1) * size]
        batch_lines += [json.dumps(message) for message in EDGE_CASES[batch]]
        write_events(events_dir / f"batch-{batch}.jsonl", batch_lines)
        incremental.dbt("run")
    incremental.build()

    full = Warehouse(events_dir, root / "full_refresh.duckdb", target_path)
    full.build("--full-refresh")
    return incremental, full


@pytest.fixture(scope="module")
def day_by_day_and_full(tmp_path_factory) -> tuple[Warehouse, Warehouse]:
    root = tmp_path_factory.mktemp("day-by-day")
    target_path = tmp_path_factory.mktemp("day-by-day-target")
    events_dir = root / "events"
    events_dir.mkdir()
    incremental = Warehouse(events_dir, root / "incremental.duckdb", target_path)
    incremental.dbt("seed")
    files = _sample_files(root)
    # One run per receipt day, then one for the late trickle files that follow them.
    for batch in [*([path] for path in files[:SAMPLE_DAYS]), files[SAMPLE_DAYS:]]:
        for path in batch:
            path.rename(events_dir / path.name)
        incremental.dbt("run")
    incremental.build()
    full = Warehouse(events_dir, root / "full_refresh.duckdb", target_path)
    full.build("--full-refresh")
    return incremental, full


@pytest.mark.parametrize("delivery", ["incremental_and_full", "day_by_day_and_full"])
@pytest.mark.parametrize("relation", COMPARED_RELATIONS)
def test_incremental_runs_equal_a_full_refresh(request, delivery, relation):
    incremental, full = request.getfixturevalue(delivery)
    only_incremental, only_full, rows = _differences(incremental, full, relation)
    assert rows > 0 or relation == "staging.stg_events_duplicates"
    assert (only_incremental, only_full) == (0, 0)


@pytest.mark.parametrize("delivery", ["incremental_and_full", "day_by_day_and_full"])
def test_refreshes_re_cut_visitors_from_a_session_not_from_their_first_event(request, delivery):
    # A returning visitor's earlier sessions are kept as they were (sessionized by an earlier
    # run) while the sessions from the last one before their new events are re-cut: rows of one
    # visitor carry several _sessionized_run. Re-cutting whole histories would leave one.
    incremental, _ = request.getfixturevalue(delivery)
    [(partly_re_cut,)] = incremental.query("""
        select count(*) from (
            select visitor_id from intermediate.int_events_sessionized
            where session_id is not null
            group by visitor_id
            having count(distinct _sessionized_run) > 1
        )
    """)
    assert partly_re_cut > 0


def test_the_late_event_merged_the_two_sessions(incremental_and_full):
    incremental, _ = incremental_and_full
    sessions = incremental.query(
        "select session_start, session_end, event_count from marts.sessions "
        "where visitor_id = 'edge-user' and session_start >= '2026-10-03 12:00:00'"
    )
    assert [(str(start), str(end), count) for start, end, count in sessions] == [
        ("2026-10-03 12:00:00", "2026-10-03 12:50:00", 3)
    ]


def test_the_late_login_moved_the_anonymous_history(incremental_and_full):
    incremental, _ = incremental_and_full
    assert incremental.query("select visitor_id from marts.events where message_id = 'edge-1'") == [
        ("edge-user",)
    ]
    assert incremental.query("select count(*) from marts.users where visitor_id = 'edge-anon'") == [
        (0,)
    ]


def test_the_earliest_received_duplicate_is_kept(incremental_and_full):
    incremental, _ = incremental_and_full
    assert incremental.query(
        "select page_path, visitor_id from marts.page_views where page_view_id = 'edge-6'"
    ) == [("/first-copy", "edge-anon-first-copy")]


def test_the_visitor_who_lost_the_duplicate_was_re_cut(incremental_and_full):
    incremental, _ = incremental_and_full
    # edge-7 and edge-8 stay: their session now starts at edge-7, without the moved edge-6.
    assert incremental.query(
        "select session_start, event_count from marts.sessions "
        "where visitor_id = 'edge-anon-late-copy'"
    ) == [(datetime(2026, 10, 4, 10, 20), 2)]


def test_a_clock_set_back_between_refreshes_still_brings_in_the_new_rows(make_warehouse):
    """New rows are selected by run, not by clock: after the first run's stamps are moved ten
    years ahead (a clock that ran fast and was then corrected), the next refresh still takes
    exactly the rows of its new file, down to the marts (stg_events and int_events_sessionized
    by landing run, sessions and users by int_events_sessionized's run). A full refresh of
    int_events_sessionized alone numbers its run on, so the marts take all of it again."""
    warehouse = make_warehouse("clock-set-back")
    select = ("--select", "path:models/staging", "path:models/intermediate", "path:models/marts")
    write_events(
        warehouse.events_dir / "day-1.jsonl",
        [_message("clock-1", "03T09:00:00", anonymousId="clock-anon")],
    )
    warehouse.dbt("seed")  # the marts' reference tables
    warehouse.dbt("run", *select)
    ahead = {
        "staging.stg_events_landed": ["_loaded_at"],
        "staging.stg_events": ["_loaded_at"],
        "intermediate.int_events_sessionized": ["_loaded_at", "_sessionized_at"],
        "marts.sessions": ["_sessionized_at"],
        "marts.users": ["_sessionized_at"],
    }
    with duckdb.connect(str(warehouse.duckdb_path)) as connection:
        for relation, columns in ahead.items():
            moved = ", ".join(f"{column} = {column} + interval 10 year" for column in columns)
            connection.execute(f"update {relation} set {moved}")
    write_events(
        warehouse.events_dir / "day-2.jsonl",
        [
            _message("clock-2", "03T09:10:00", anonymousId="clock-anon"),
            _message("clock-3", "04T09:00:00", anonymousId="clock-other"),
        ],
    )
    warehouse.dbt("run", *select)

    assert warehouse.query(
        "select message_id, _load_sequence from staging.stg_events order by message_id"
    ) == [("clock-1", 1), ("clock-2", 2), ("clock-3", 2)]
    assert warehouse.query(
        "select message_id, visitor_id, session_number from intermediate.int_events_sessionized"
        " order by message_id"
    ) == [("clock-1", "clock-anon", 1), ("clock-2", "clock-anon", 1), ("clock-3", "clock-other", 1)]
    assert warehouse.query(
        "select visitor_id, event_count, _sessionized_run from marts.sessions order by visitor_id"
    ) == [("clock-anon", 2, 2), ("clock-other", 1, 2)]
    assert warehouse.query("select visitor_id from marts.users order by visitor_id") == [
        ("clock-anon",),
        ("clock-other",),
    ]

    warehouse.dbt("run", "--full-refresh", "--select", "int_events_sessionized")
    assert warehouse.query(
        "select distinct _sessionized_run from intermediate.int_events_sessionized"
    ) == [(3,)]
    warehouse.dbt("run", "--select", "sessions", "users")
    assert warehouse.query("select distinct _sessionized_run from marts.sessions") == [(3,)]
    assert warehouse.query("select distinct _sessionized_run from marts.users") == [(3,)]
