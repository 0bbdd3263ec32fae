"""Account-grain segments (Segment group calls) and segments about a member's account, on
hand-written events with exact members. as_of is segments_support.AS_OF; T_x is a user's
latest visit.

    account   traits                                  users: what they did
    acme      Acme, enterprise, employees 500         a1: core_feature_used x5 10 days ago;
                                                          page + core at T_a1 (1 day 2 h ago)
                                                      a2: core x5 9 days ago; page, js_error on
                                                          /checkout/pay, core at T_a2 (2 days 3 h)
                                                      a3: page 3 days ago; a4: page 20 days ago
    globex    Globex, pro, region emea                g1: core x3 10 days ago; page, js_error on
                                                          /home, core x3 at T_g1 (1 day ago)
                                                      g2: page 4 days ago
    initech   enterprise                              i1: core x4 11 days ago; page, core x4 at
                                                          T_i1 (3 days 5 h ago)
    umbrella  Umbrella                                u1: grouped while anonymous (anon-u), then
                                                          identified; page 1 day 6 h ago
    (none)                                            solo: page 1 day ago

Account behaviour is its users': acme used the core feature 10 times in the week before the
last and twice in the last (a drop of 80%); no acme user alone did it 8 times.
"""

from __future__ import annotations

import csv

import pytest
from segments_support import (
    AS_OF_TEXT,
    Events,
    SegmentProject,
    ago,
    funnel,
    later,
    members,
    segment,
)

from segmart import cli
from segmart.activation import deliver_files
from segmart.registry import Members, OfAccount, iter_conditions, load_registry
from segmart.registry.models import FileDestination
from segmart.serving import publish
from segmart.settings import Settings

T_A1, T_A2, T_G1, T_I1 = (
    ago(days=1, hours=2),
    ago(days=2, hours=3),
    ago(days=1),
    ago(days=3, hours=5),
)


def events() -> Events:
    e = Events()
    grouped = ago(days=30)
    for user, account, traits in [
        ("a1", "acme", {"name": "Acme", "plan": "enterprise", "employees": 500}),
        ("a2", "acme", {}),
        ("a3", "acme", {}),
        ("a4", "acme", {}),
        ("g1", "globex", {"name": "Globex", "plan": "pro", "region": "emea"}),
        ("g2", "globex", {}),
        ("i1", "initech", {"plan": "enterprise"}),
    ]:
        e.group(user, grouped, account, user=True, **traits)
    # acme
    for k in range(5):
        e.track("a1", "core_feature_used", later(ago(days=10), minutes=k), user=True)
        e.track("a2", "core_feature_used", later(ago(days=9), minutes=k), user=True)
    e.page("a1", T_A1, user=True)
    e.track("a1", "core_feature_used", later(T_A1, minutes=1), user=True)
    e.page("a2", T_A2, user=True)
    e.track("a2", "js_error", later(T_A2, minutes=1), user=True, path="/checkout/pay")
    e.track("a2", "core_feature_used", later(T_A2, minutes=2), user=True)
    e.page("a3", ago(days=3), user=True)
    e.page("a4", ago(days=20), user=True)
    # globex
    for k in range(3):
        e.track("g1", "core_feature_used", later(ago(days=10), minutes=k), user=True)
        e.track("g1", "core_feature_used", later(T_G1, minutes=2 + k), user=True)
    e.page("g1", T_G1, user=True)
    e.track("g1", "js_error", later(T_G1, minutes=1), user=True, path="/home")
    e.page("g2", ago(days=4), user=True)
    # initech
    e.page("i1", T_I1, user=True)
    for k in range(4):
        e.track("i1", "core_feature_used", later(ago(days=11), minutes=k), user=True)
        e.track("i1", "core_feature_used", later(T_I1, minutes=1 + k), user=True)
    # umbrella: grouped anonymously, then identified
    e.group("anon-u", ago(days=5), "umbrella", name="Umbrella")
    e.add("anon-u", later(ago(days=5), minutes=1), "identify", user_id="u1")
    e.page("u1", ago(days=1, hours=6), user=True)
    e.page("solo", ago(days=1), user=True)
    return e


def account(name: str, where: dict) -> dict:
    return segment(name, where, grain="account")


CHECKOUT_ERROR = {
    "performed": {"event": "js_error", "where": [{"property": "path", "starts_with": "/checkout"}]}
}
ENTERPRISE = {"attribute": "plan", "equals": "enterprise"}

# (segment entry, expected members)
CASES = [
    # Accounts with at least 3 users active in the last 7 days.
    (
        account(
            "active_3",
            {
                "members": {
                    "where": {"sessions": {"window": {"last_days": 7}}},
                    "times": {"at_least": 3},
                }
            },
        ),
        ["acme"],
    ),
    # Accounts where any member hit a JS error on checkout.
    (account("checkout_errors", {"members": {"where": CHECKOUT_ERROR}}), ["acme"]),
    # Enterprise accounts whose usage dropped by half: the account's, not one user's.
    (
        account(
            "enterprise_dropped",
            {
                "all": [
                    ENTERPRISE,
                    {
                        "changed": {
                            "measure": {"event": "core_feature_used"},
                            "recent_days": 7,
                            "dropped_by_at_least_percent": 50,
                        }
                    },
                ]
            },
        ),
        ["acme"],
    ),
    # A group trait with no column of its own.
    (account("emea", {"trait": "region", "equals": "emea"}), ["globex"]),
    # Counted over the account's users together: no acme user alone did it 8 times.
    (
        account(
            "heavy_core",
            {"performed": {"event": "core_feature_used", "times": {"at_least": 8}}},
        ),
        ["acme", "initech"],
    ),
    # Sessions of the account's users: acme 6, globex 3, initech 2, umbrella 1.
    (account("busy", {"sessions": {"times": {"at_least": 3}}}), ["acme", "globex"]),
    (
        account("first_error", {"first_time": {"event": "js_error", "window": {"last_days": 7}}}),
        ["acme", "globex"],
    ),
    # Other grains' segments: an account with a member in them.
    (segment("checkout_erred", CHECKOUT_ERROR), ["a2"]),
    (account("has_checkout_erred", {"in_segment": "checkout_erred"}), ["acme"]),
    (
        segment("error_sessions", {"performed": {"event": "js_error"}}, grain="session"),
        ["a2#2", "g1#2"],
    ),
    (account("has_error_session", {"in_segment": "error_sessions"}), ["acme", "globex"]),
    (account("not_active", {"not": {"in_segment": "active_3"}}), ["globex", "initech", "umbrella"]),
    # A member's account: by its attributes, its segments, its members.
    (
        segment("enterprise_users", {"account": ENTERPRISE}),
        ["a1", "a2", "a3", "a4", "i1"],
    ),
    (segment("in_active_account", {"in_segment": "active_3"}), ["a1", "a2", "a3", "a4"]),
    # The anonymous group call counts for the user the visitor became.
    (segment("umbrella_users", {"account": {"attribute": "name", "equals": "Umbrella"}}), ["u1"]),
    (
        segment(
            "with_erring_colleagues",
            {"account": {"members": {"where": {"performed": {"event": "js_error"}}}}},
        ),
        ["a1", "a2", "a3", "a4", "g1", "g2"],
    ),
    (
        segment("enterprise_sessions", {"account": ENTERPRISE}, grain="session"),
        ["a1#1", "a1#2", "a2#1", "a2#2", "a3#1", "a4#1", "i1#1", "i1#2"],
    ),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> SegmentProject:
    project = SegmentProject.create(tmp_path_factory.mktemp("segments-accounts"))
    project.write_segments(entry for entry, _ in CASES)
    # An account follows the funnel by any of its users' events: acme's a2 erred, a1 visited
    # after; globex's only visits were before g1's error.
    steps = [{"name": "Erred", "event": "js_error"}, {"name": "Visited", "event": "page"}]
    project.write_funnels([funnel("error_then_visit", steps, segments=["busy", "checkout_erred"])])
    project.compile()
    project.write_events(events())
    project.build()
    return project


@pytest.mark.parametrize(("entry", "expected"), CASES, ids=[entry["name"] for entry, _ in CASES])
def test_members(warehouse, entry, expected):
    assert members(warehouse, entry["name"]) == expected


def test_both_conditions_across_accounts_are_covered(warehouse):
    registry = load_registry(warehouse.segments_dir)
    used = {type(condition) for entry in registry for condition in iter_conditions(entry.where)}
    assert {Members, OfAccount} <= used


def test_account_members_in_the_shared_tables(warehouse):
    assert warehouse.query(
        "select segment_name, grain, member_key, visitor_id from segments.segment_memberships"
        " where segment_name = 'heavy_core' order by member_key"
    ) == [("heavy_core", "account", "acme", None), ("heavy_core", "account", "initech", None)]
    assert warehouse.query(
        "select members from segments.segment_catalog where segment_name = 'heavy_core'"
    ) == [(2,)]
    # Every session of its accounts' users, and so the reports over them: a1's and a2's two
    # sessions each and a3's and a4's one started on six different days, a visitor each.
    assert warehouse.query(
        "select count(*), count(distinct visitor_id) from reports.segment_member_sessions"
        " where segment_name = 'active_3'"
    ) == [(6, 4)]
    assert warehouse.query(
        "select sum(sessions), sum(visitors) from reports.segment_daily_metrics"
        " where segment_name = 'active_3'"
    ) == [(6, 6)]


def test_an_account_traits_values_are_checked_against_group_calls(warehouse):
    assert warehouse.query(
        "select segment_name, table_name, column_name, filter_value, occurs_in_data"
        " from segments.segment_filter_values where segment_name in ('emea', 'enterprise_users')"
        " order by 1, 3"
    ) == [
        ("emea", "events", "group_traits.region", "emea", True),
        ("enterprise_users", "accounts", "plan", "enterprise", True),
    ]


def test_an_account_goes_through_a_funnel_by_any_of_its_users(warehouse):
    assert warehouse.query(
        "select segment_name, step_number, reached_members from reports.funnel_error_then_visit"
        " order by 1, 2"
    ) == [
        ("busy", 1, 2),
        ("busy", 2, 1),
        # a2 alone visited no page after her error.
        ("checkout_erred", 1, 1),
        ("checkout_erred", 2, 0),
    ]


def test_the_analyst_commands_read_account_segments(warehouse, monkeypatch, capsys):
    monkeypatch.setenv("SEGMART_DUCKDB", str(warehouse.duckdb_path))
    monkeypatch.setenv("SEGMART_AS_OF", AS_OF_TEXT)

    def run(*args: str) -> str:
        assert cli.main([*args, "--segments", str(warehouse.segments_dir)]) == 0
        return capsys.readouterr().out

    explained = run("explain", "enterprise_dropped").splitlines()
    assert explained[1] == "population: 4 accounts"
    # accounts, so far (and), condition: acme and initech are enterprise; only acme dropped.
    counts = [line.split()[:2] for line in explained[4:7]]
    assert counts == [["1", "all"], ["2", "2"], ["1", "1"]]
    assert run("preview", "active_3").splitlines()[0].startswith("active_3: 1 of 4 accounts")
    assert "no member stays" not in run("diff", "heavy_core")
    members_out = run_plain(
        warehouse, monkeypatch, capsys, "members", "heavy_core", "--format", "csv"
    )
    assert [line.split(",")[0] for line in members_out.splitlines()] == [
        "account_id",
        "acme",
        "initech",
    ]
    # An account's timeline is its users' events.
    timeline = run_plain(warehouse, monkeypatch, capsys, "timeline", "globex", "--format", "csv")
    # g1: its group call, 6 core_feature_used, a page, a js_error; g2: its group call, a page.
    assert timeline.count("\n") - 1 == 11


def run_plain(warehouse, monkeypatch, capsys, *args: str) -> str:
    """A command that reads the published snapshot (no --segments)."""
    publish(Settings(events=str(warehouse.events_dir), duckdb_path=warehouse.duckdb_path))
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out


def test_activation_delivers_accounts(warehouse, tmp_path):
    """Files for a marketing tool: the current member accounts, and each refresh's changes."""
    deliver_files(warehouse.duckdb_path, "heavy_core", FileDestination(format="csv"), tmp_path)
    with open(tmp_path / "heavy_core" / "members.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [(row["grain"], row["member_key"], row["visitor_id"]) for row in rows] == [
        ("account", "acme", ""),
        ("account", "initech", ""),
    ]
    [changes] = (tmp_path / "heavy_core" / "changes").iterdir()
    with open(changes, newline="", encoding="utf-8") as file:
        entered = [(row["member_key"], row["change"]) for row in csv.DictReader(file)]
    assert entered == [("acme", "entered"), ("initech", "entered")]
