"""Rules for identity stitching and sessionization.

One warehouse holds every case as its own visitor (anonymous id = case name); each test reads
its visitor's sessions as lists of message ids, in session order.
"""

from __future__ import annotations

import shutil

import pytest
from rules_support import at, build, message, new_warehouse, write_events

SPRING = {"source": "google", "medium": "cpc", "name": "spring"}
SUMMER = {"source": "google", "medium": "cpc", "name": "summer"}
NEWSLETTER = {"source": "newsletter", "medium": "email", "name": "may"}


def visit(case: str, *events: tuple) -> list[dict]:
    """Messages of the anonymous visitor `case`: (suffix, seconds after T0[, type[, campaign]])."""
    messages = []
    for suffix, seconds, *rest in events:
        kind = rest[0] if rest else "page"
        campaign = rest[1] if len(rest) > 1 else None
        fields = {"context": {"campaign": campaign}} if campaign else {}
        if kind == "track":
            fields["event"] = "Button Clicked"
        if kind == "group":
            fields["groupId"] = "acme"
        messages.append(
            message(f"{case}-{suffix}", type=kind, seconds=seconds, anonymous_id=case, **fields)
        )
    return messages


CASES: list[dict] = [
    *visit("gap-1800", ("a", 0), ("b", 1800)),
    *visit("gap-1801", ("a", 0), ("b", 1801)),
    *visit("gap-fraction", ("a", 0), ("b", 1800.5, "track")),
    *visit("chain", ("a", 0), ("b", 1000, "track"), ("c", 2000), ("d", 3000), ("e", 4000)),
    *visit("non-activity", ("a", 0), ("b", 900, "identify"), ("c", 1500, "group"), ("d", 2000)),
    *visit("screens", ("a", 0, "screen"), ("b", 1700, "track"), ("c", 3400, "screen")),
    *visit("campaign-change", ("a", 0, "page", SPRING), ("b", 60, "page", NEWSLETTER)),
    *visit("campaign-same", ("a", 0, "page", SPRING), ("b", 60, "page", SPRING)),
    *visit("campaign-none", ("a", 0, "page", SPRING), ("b", 60), ("c", 120, "track")),
    *visit("none-campaign", ("a", 0), ("b", 60, "page", SPRING), ("c", 120, "page", SPRING)),
    *visit("campaign-name", ("a", 0, "page", SPRING), ("b", 60, "page", SUMMER)),
    *visit("campaign-return", ("a", 0, "page", SPRING), ("b", 60), ("c", 120, "page", SPRING)),
    *visit(
        "campaign-a-b-a",
        ("a", 0, "page", SPRING),
        ("b", 60, "page", NEWSLETTER),
        ("c", 120, "page", SPRING),
    ),
    *visit(
        "campaign-resume",
        ("a", 0, "page", SPRING),
        ("b", 2000),
        ("c", 2060, "page", SPRING),
        ("d", 2120),
    ),
    *visit(
        "campaign-blank",
        ("a", 0, "page", SPRING),
        ("b", 60, "page", {"source": " ", "medium": "", "name": None}),
    ),
    *visit(
        "campaign-field-moved",
        ("a", 0, "page", {"source": "google", "name": "spring"}),
        ("b", 60, "page", {"medium": "google", "name": "spring"}),
    ),
    # Written newest first: sessions follow event time, not file order.
    *visit("out-of-order", ("d", 2100), ("a", 0), ("c", 2000), ("b", 100)),
    *visit("gap-600", ("a", 0), ("b", 600)),
    *visit("gap-601", ("a", 0), ("b", 601)),
]

IDENTITY: list[dict] = [
    # Browses anonymously, logs in mid-visit, then continues with a userId only.
    message("login-a", seconds=0, anonymous_id="anon-login"),
    message("login-b", seconds=300, anonymous_id="anon-login"),
    message("login-c", type="identify", seconds=600, anonymous_id="anon-login", user_id="u-login"),
    message(
        "login-d",
        type="track",
        seconds=900,
        anonymous_id="anon-login",
        user_id="u-login",
        event="Signed Up",
    ),
    message("login-e", seconds=1200, user_id="u-login"),
    # A shared device: Alice logs in, three hours later Bob does. Bob's identify was delivered
    # (received) before Alice's, but happened later: event time decides.
    message("shared-a", seconds=0, anonymous_id="anon-shared"),
    {
        **message(
            "shared-b", type="identify", seconds=60, anonymous_id="anon-shared", user_id="u-alice"
        ),
        "receivedAt": "2024-05-01T20:00:00Z",
    },
    message("shared-c", seconds=120, anonymous_id="anon-shared", user_id="u-alice"),
    {
        **message(
            "shared-d",
            type="identify",
            seconds=10800,
            anonymous_id="anon-shared",
            user_id="u-bob",
        ),
        "receivedAt": "2024-05-01T19:00:00Z",
    },
    message("shared-e", seconds=10860, anonymous_id="anon-shared", user_id="u-bob"),
    message("shared-f", seconds=20000, anonymous_id="anon-shared"),
    # Never anonymous; never identified.
    message("user-only-a", seconds=0, user_id="u-only"),
    message("anon-only-a", seconds=0, anonymous_id="anon-never"),
]


def write_fixture(events_dir) -> None:
    write_events(events_dir / "cases.jsonl", CASES)
    write_events(events_dir / "identity" / "identity.jsonl", IDENTITY)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, dbt_target_path):
    warehouse = new_warehouse(tmp_path_factory, dbt_target_path, "rules-sessions")
    write_fixture(warehouse.events_dir)
    return build(warehouse)


@pytest.fixture(scope="module")
def short_timeout_warehouse(tmp_path_factory, dbt_target_path, warehouse):
    other = new_warehouse(tmp_path_factory, dbt_target_path, "rules-sessions-600")
    shutil.copytree(warehouse.events_dir, other.events_dir, dirs_exist_ok=True)
    return build(other, "--vars", "{session_inactivity_seconds: 600}")


@pytest.fixture(scope="module")
def rebuilt_warehouse(tmp_path_factory, dbt_target_path, warehouse):
    """The same events built again, from scratch, into another warehouse."""
    other = new_warehouse(tmp_path_factory, dbt_target_path, "rules-sessions-again")
    write_fixture(other.events_dir)
    return build(other)


def sessions_of(warehouse, visitor_id: str) -> list[list[str]]:
    """The visitor's sessions in session_number order, each as its message ids in time order."""
    rows = warehouse.query(
        """
        select sessions.session_number, list(events.message_id order by events.event_at)
        from marts.events as events
        inner join marts.sessions as sessions on events.session_id = sessions.session_id
        where events.visitor_id = ?
        group by sessions.session_number
        order by sessions.session_number
        """,
        [visitor_id],
    )
    assert [number for number, _ in rows] == list(range(1, len(rows) + 1))
    return [message_ids for _, message_ids in rows]


def visitor_of(warehouse) -> dict[str, str]:
    return dict(warehouse.query("select message_id, visitor_id from marts.events"))


# --- Inactivity ----------------------------------------------------------------------------------


def test_gap_of_exactly_1800_seconds_stays_in_the_session(warehouse):
    assert sessions_of(warehouse, "gap-1800") == [["gap-1800-a", "gap-1800-b"]]


def test_gap_of_1801_seconds_starts_a_new_session(warehouse):
    assert sessions_of(warehouse, "gap-1801") == [["gap-1801-a"], ["gap-1801-b"]]


def test_gap_of_1800_and_a_half_seconds_starts_a_new_session(warehouse):
    assert sessions_of(warehouse, "gap-fraction") == [["gap-fraction-a"], ["gap-fraction-b"]]


def test_the_gap_is_measured_from_the_previous_activity_not_the_session_start(warehouse):
    assert sessions_of(warehouse, "chain") == [[f"chain-{s}" for s in "abcde"]]


def test_identify_and_group_calls_are_not_activity_and_have_no_session(warehouse):
    assert sessions_of(warehouse, "non-activity") == [["non-activity-a"], ["non-activity-d"]]
    assert warehouse.query(
        "select message_id, session_id from marts.events"
        " where visitor_id = 'non-activity' and message_type in ('identify', 'group')"
        " order by message_id"
    ) == [("non-activity-b", None), ("non-activity-c", None)]


def test_screens_and_tracks_are_activity(warehouse):
    assert sessions_of(warehouse, "screens") == [["screens-a", "screens-b", "screens-c"]]


def test_sessions_follow_event_time_not_file_order(warehouse):
    assert sessions_of(warehouse, "out-of-order") == [
        ["out-of-order-a", "out-of-order-b"],
        ["out-of-order-c", "out-of-order-d"],
    ]


def test_inactivity_timeout_defaults_to_1800_seconds(warehouse):
    assert sessions_of(warehouse, "gap-601") == [["gap-601-a", "gap-601-b"]]


def test_inactivity_timeout_is_configurable(short_timeout_warehouse):
    assert sessions_of(short_timeout_warehouse, "gap-600") == [["gap-600-a", "gap-600-b"]]
    assert sessions_of(short_timeout_warehouse, "gap-601") == [["gap-601-a"], ["gap-601-b"]]
    assert sessions_of(short_timeout_warehouse, "chain") == [
        ["chain-a"],
        ["chain-b"],
        ["chain-c"],
        ["chain-d"],
        ["chain-e"],
    ]


# --- Campaigns -----------------------------------------------------------------------------------


def test_a_different_campaign_starts_a_new_session(warehouse):
    assert sessions_of(warehouse, "campaign-change") == [
        ["campaign-change-a"],
        ["campaign-change-b"],
    ]


def test_the_same_campaign_again_does_not_cut(warehouse):
    assert sessions_of(warehouse, "campaign-same") == [["campaign-same-a", "campaign-same-b"]]


def test_an_event_without_campaign_does_not_cut(warehouse):
    assert sessions_of(warehouse, "campaign-none") == [
        ["campaign-none-a", "campaign-none-b", "campaign-none-c"]
    ]


def test_an_event_with_only_blank_utm_values_has_no_campaign(warehouse):
    assert sessions_of(warehouse, "campaign-blank") == [["campaign-blank-a", "campaign-blank-b"]]


def test_a_session_started_without_campaign_is_cut_by_a_campaign(warehouse):
    assert sessions_of(warehouse, "none-campaign") == [
        ["none-campaign-a"],
        ["none-campaign-b", "none-campaign-c"],
    ]


def test_a_different_campaign_name_alone_cuts(warehouse):
    assert sessions_of(warehouse, "campaign-name") == [["campaign-name-a"], ["campaign-name-b"]]


def test_campaigns_differ_when_the_same_value_is_in_another_utm_field(warehouse):
    assert sessions_of(warehouse, "campaign-field-moved") == [
        ["campaign-field-moved-a"],
        ["campaign-field-moved-b"],
    ]


def test_the_session_campaign_is_the_one_it_started_with(warehouse):
    assert sessions_of(warehouse, "campaign-return") == [
        ["campaign-return-a", "campaign-return-b", "campaign-return-c"]
    ]
    assert sessions_of(warehouse, "campaign-a-b-a") == [
        ["campaign-a-b-a-a"],
        ["campaign-a-b-a-b"],
        ["campaign-a-b-a-c"],
    ]


def test_after_inactivity_a_session_without_campaign_is_cut_by_the_old_campaign(warehouse):
    assert sessions_of(warehouse, "campaign-resume") == [
        ["campaign-resume-a"],
        ["campaign-resume-b"],
        ["campaign-resume-c", "campaign-resume-d"],
    ]


# --- Numbering and ids ---------------------------------------------------------------------------


def test_session_number_counts_a_visitors_sessions_in_time_order(warehouse):
    assert warehouse.query(
        "select session_number, is_first_visit, session_start from marts.sessions"
        " where visitor_id = 'out-of-order' order by session_start"
    ) == [
        (1, True, at(0)),
        (2, False, at(2000)),
    ]


def test_session_ids_are_the_same_when_the_same_events_are_built_again(
    warehouse, rebuilt_warehouse
):
    sql = (
        "select message_id, session_id from marts.events"
        " where session_id is not null order by message_id"
    )
    first, second = warehouse.query(sql), rebuilt_warehouse.query(sql)
    assert len(first) == len(CASES) - 2 + 10  # every activity event: cases, then identity
    assert first == second


def test_session_ids_are_unique_across_visitors(warehouse):
    assert warehouse.query(
        "select count(*), count(distinct session_id), count(distinct visitor_id || session_number)"
        " from marts.sessions"
    ) == [(38, 38, 38)]


# --- Identity ------------------------------------------------------------------------------------


def test_a_visitor_who_logs_in_mid_visit_keeps_one_session(warehouse):
    visitors = visitor_of(warehouse)
    assert {visitors[f"login-{s}"] for s in "abcde"} == {"u-login"}
    assert sessions_of(warehouse, "u-login") == [["login-a", "login-b", "login-d", "login-e"]]
    assert warehouse.query(
        "select count(*) from marts.sessions where visitor_id = 'anon-login'"
    ) == [(0,)]


def test_anonymous_events_before_login_carry_the_users_id(warehouse):
    assert warehouse.query(
        "select message_id, user_id, anonymous_id from marts.events"
        " where message_id in ('login-a', 'login-e') order by message_id"
    ) == [("login-a", "u-login", "anon-login"), ("login-e", "u-login", None)]


def test_a_shared_devices_anonymous_events_go_to_the_latest_user_by_event_time(warehouse):
    visitors = visitor_of(warehouse)
    assert {s: visitors[f"shared-{s}"] for s in "abcdef"} == {
        "a": "u-bob",
        "b": "u-alice",
        "c": "u-alice",
        "d": "u-bob",
        "e": "u-bob",
        "f": "u-bob",
    }
    assert sessions_of(warehouse, "u-alice") == [["shared-c"]]
    assert sessions_of(warehouse, "u-bob") == [["shared-a"], ["shared-e"], ["shared-f"]]


def test_a_message_with_a_user_id_belongs_to_that_user(warehouse):
    assert visitor_of(warehouse)["user-only-a"] == "u-only"
    assert warehouse.query(
        "select visitor_id, user_id, anonymous_id from marts.sessions where visitor_id = 'u-only'"
    ) == [("u-only", "u-only", None)]


def test_a_never_identified_visitor_is_its_anonymous_id(warehouse):
    assert warehouse.query(
        "select visitor_id, user_id, anonymous_id from marts.sessions"
        " where anonymous_id = 'anon-never'"
    ) == [("anon-never", None, "anon-never")]


def test_users_has_one_row_per_visitor_and_none_for_an_anonymous_id_that_became_a_user(warehouse):
    visitors = [row[0] for row in warehouse.query("select visitor_id from marts.users")]
    assert len(visitors) == len(set(visitors))
    assert {"u-login", "u-alice", "u-bob", "u-only", "anon-never"} <= set(visitors)
    assert not {"anon-login", "anon-shared"} & set(visitors)
    assert warehouse.query(
        "select visitor_id, sessions_count from marts.users"
        " where visitor_id in ('u-alice', 'u-bob', 'u-login') order by visitor_id"
    ) == [("u-alice", 1), ("u-bob", 3), ("u-login", 1)]
