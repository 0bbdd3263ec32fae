"""`segmart preview`, `segmart explain` and `segmart diff`: answers from the registry definition on
the current warehouse, read-only, with exact counts and members on hand-written events.

One warehouse is built once (as_of 2024-06-01T00:00:00). Every visitor has one session, two days
before as_of, starting with a page view that carries its campaign:

    visitor    utm_medium  utm_source  product_added  order_completed
    v-cpc-1    cpc         google      yes
    v-cpc-2    cpc         google
    v-cpc-3    CPC         google      yes
    v-email-1  email       google      yes
    v-email-2  email       google
    v-direct                           yes
    u-big                                             revenue 1500
    u-small                                           revenue 20

8 sessions, 8 users.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pytest
from segments_support import AS_OF_TEXT, Events, SegmentProject, ago, campaign, later, segment

from segmart.cli import main
from segmart.warehouse import format_table

VISITORS = [
    ("v-cpc-1", "cpc", True),
    ("v-cpc-2", "cpc", False),
    ("v-cpc-3", "CPC", True),
    ("v-email-1", "email", True),
    ("v-email-2", "email", False),
    ("v-direct", None, True),
]

PAID_CART = segment(
    "paid_cart",
    {
        "all": [
            {"attribute": "utm_medium", "equals": "cpc"},
            {"performed": {"event": "product_added"}},
        ]
    },
    grain="session",
)
BUYERS = segment("buyers", {"performed": {"event": "order_completed"}})
ROLE_TYPO = segment("role_typo", {"trait": "role", "equals": "analist"})
# A one-value filter that keeps no one (explain has no values to suggest for it).
NO_SEATS = segment("no_seats", {"trait": "seats", "gt": 10})
# Across grains: the sessions of buyers (a user segment), the users of paid_cart sessions.
BUYER_SESSIONS = segment("buyer_sessions", {"in_segment": "buyers"}, grain="session")
PAID_CART_USERS = segment("paid_cart_users", {"sessions": {"in_segment": "paid_cart"}})
ORDER_SESSIONS = segment(
    "order_sessions", {"performed": {"event": "order_completed"}}, grain="session"
)
# Every way a segment ends up empty, in one tree.
EMPTY = segment(
    "empty_by_mistake",
    {
        "all": [
            {
                "any": [
                    {"performed": {"event": "product_added"}},
                    {"in_segment": "paid_cart"},
                    {"performed": {"event": "product_aded"}},
                ]
            },
            {"attribute": "utm_source", "equals": "google"},
            {"not": {"attribute": "utm_source", "equals": "gogle"}},
            {"performed": {"event": "order_completed"}},
            # Misspelled, and a hostile value that must stay data.
            {"attribute": "utm_medium", "in": ["emial", "cpcc", "x' or '1'='1' --{{"]},
        ]
    },
    grain="session",
)


def fixture_events() -> Events:
    events = Events()
    for visitor, medium, added in VISITORS:
        start = ago(days=2)
        context = campaign(medium=medium, source="google") if medium else None
        events.page(visitor, start, context=context)
        if added:
            events.track(visitor, "product_added", later(start, minutes=1))
    events.track("u-big", "order_completed", ago(days=2), user=True, revenue=1500)
    events.track("u-small", "order_completed", ago(days=2), user=True, revenue=20)
    events.identify("u-big", ago(days=3), user=True, role="analyst")
    events.identify("u-small", ago(days=3), user=True, role="Designer")
    return events


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> SegmentProject:
    project = SegmentProject.create(tmp_path_factory.mktemp("inspect"))
    project.write_events(fixture_events())
    project.write_segments(
        [
            PAID_CART,
            BUYERS,
            ORDER_SESSIONS,
            EMPTY,
            ROLE_TYPO,
            NO_SEATS,
            BUYER_SESSIONS,
            PAID_CART_USERS,
        ]
    )
    project.compile()
    project.build()
    return project


@pytest.fixture
def segmart(project, monkeypatch, capsys):
    """Run `segmart <args> --segments <the project's registry>` on the project's warehouse:
    (exit code, stdout, stderr)."""
    monkeypatch.setenv("SEGMART_DUCKDB", str(project.duckdb_path))
    monkeypatch.setenv("SEGMART_AS_OF", AS_OF_TEXT)

    def run(*args: str) -> tuple[int, str, str]:
        code = main([*args, "--segments", str(project.segments_dir)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@contextmanager
def edited(project: SegmentProject, entry: dict) -> Iterator[None]:
    """The registry file of `entry` rewritten (or added) for the duration."""
    path = project.segments_dir / f"{entry['name']}.yml"
    original = path.read_text(encoding="utf-8") if path.exists() else None
    project.write_segments([entry])
    try:
        yield
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_text(original, encoding="utf-8")


@contextmanager
def held_open(project: SegmentProject, read_only: bool) -> Iterator[None]:
    """Another process (a BI tool, a refresh) holding the warehouse open."""
    code = (
        "import duckdb, sys\n"
        f"c = duckdb.connect({str(project.duckdb_path)!r}, read_only={read_only})\n"
        "print('open', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "open\n"
        yield
    finally:
        holder.communicate("")


def session_rows(project: SegmentProject, *visitors: str) -> tuple[list[str], list[tuple]]:
    names = ", ".join(f"'{visitor}'" for visitor in visitors)
    with duckdb.connect(str(project.duckdb_path), read_only=True) as connection:
        relation = connection.sql(
            "select session_id, visitor_id, user_id, session_start from marts.sessions "
            f"where visitor_id in ({names}) order by session_id"
        )
        return relation.columns, relation.fetchall()


# --- preview -------------------------------------------------------------------------------------


def test_preview_counts_and_lists_members_while_a_reader_holds_the_file(project, segmart):
    before = project.duckdb_path.stat().st_mtime_ns
    with held_open(project, read_only=True):
        code, out, err = segmart("preview", "paid_cart")
    assert (code, err) == (0, "")
    names, rows = session_rows(project, "v-cpc-1", "v-cpc-3")
    assert out == (
        "paid_cart: 2 of 8 sessions (25.0%), as of 2024-06-01 00:00:00\n"
        "\n" + format_table(names, rows) + "\n"
    )
    assert project.duckdb_path.stat().st_mtime_ns == before  # nothing written


def test_preview_limit_at_user_grain(segmart):
    code, out, _ = segmart("preview", "buyers", "--limit", "1")
    assert code == 0
    assert out.splitlines() == [
        "buyers: 2 of 8 users (25.0%), as of 2024-06-01 00:00:00",
        "",
        "visitor_id  user_id  email",
        "----------  -------  -----",
        "u-big       u-big         ",
        "(1 rows; more not shown: --limit shows more)",
    ]


@pytest.mark.parametrize(
    ("name", "first_line"),
    [
        ("buyer_sessions", "buyer_sessions: 2 of 8 sessions (25.0%), as of 2024-06-01 00:00:00"),
        ("paid_cart_users", "paid_cart_users: 2 of 8 users (25.0%), as of 2024-06-01 00:00:00"),
    ],
)
def test_preview_across_grains_reads_the_other_segments_definition(segmart, name, first_line):
    code, out, err = segmart("preview", name)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == first_line


# --- explain -------------------------------------------------------------------------------------


def test_explain_counts_every_condition_and_suggests_values(segmart):
    code, out, err = segmart("explain", "empty_by_mistake")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "empty_by_mistake: session grain, as of 2024-06-01 00:00:00",
        "population: 8 sessions",
        "",
        "sessions  so far (and)  condition",
        "       0                all",
        "       4             4    any",
        "       4                    performed product_added",
        "       2                    in segment paid_cart",
        "       0                    performed product_aded  <- keeps no one",
        "                                closest actual event names: product_added (4 events), "
        "order_completed (2 events), identify (2 events)",
        "       5             3    attribute utm_source equals google",
        "       8             3    not",
        "       0                    attribute utm_source equals gogle  <- keeps no one",
        "                                closest actual values: google (5 sessions)",
        "       2             0    performed order_completed  <- no one left after this",
        "       0             0    attribute utm_medium in emial, cpcc, x' or '1'='1' --{{  "
        "<- keeps no one",
        "                              closest actual values: email (2 sessions), "
        "cpc (2 sessions), CPC (1 session)",
        "",
        "members: 0 sessions",
    ]


def test_explain_suggests_a_traits_actual_values(segmart):
    code, out, err = segmart("explain", "role_typo")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "role_typo: user grain, as of 2024-06-01 00:00:00",
        "population: 8 users",
        "",
        "users  so far (and)  condition",
        "    0                trait role equals analist  <- keeps no one",
        "                         closest actual values: analyst (1 identify call), "
        "Designer (1 identify call)",
        "",
        "members: 0 users",
    ]


def test_explain_a_comparison_that_keeps_no_one(segmart):
    code, out, err = segmart("explain", "no_seats")
    assert (code, err) == (0, "")
    assert "    0                trait seats gt 10  <- keeps no one" in out.splitlines()


# --- diff ----------------------------------------------------------------------------------------


def test_diff_of_an_edited_definition(project, segmart):
    # Now: product_added in a session not tagged exactly "CPC".
    edit = segment(
        "paid_cart",
        {
            "all": [
                {"performed": {"event": "product_added"}},
                {"attribute": "utm_medium", "is_set": True},
                {"not": {"attribute": "utm_medium", "equals": "CPC", "case_sensitive": True}},
            ]
        },
        grain="session",
    )
    with edited(project, edit):
        code, out, err = segmart("diff", "paid_cart")
    assert (code, err) == (0, "")
    added = format_table(*session_rows(project, "v-email-1"))
    removed = format_table(*session_rows(project, "v-cpc-3"))
    assert out == (
        "paid_cart: the registry definition against segments.paid_cart, "
        "refreshed at 2024-06-01 00:00:00\n"
        "new definition evaluated as of 2024-06-01 00:00:00\n"
        "\n"
        "current    2 sessions\n"
        "new        2 sessions\n"
        "added      1 session\n"
        "removed    1 session\n"
        "unchanged  1 session\n"
        f"\nadded:\n{added}\n\nremoved:\n{removed}\n"
    )


def test_diff_of_a_new_segment_adds_everyone(project, segmart):
    big = segment(
        "big_buyers",
        {
            "aggregate": {"function": "sum", "property": "revenue", "event": "order_completed"},
            "gte": 1000,
        },
    )
    with edited(project, big):
        code, out, _ = segmart("diff", "big_buyers")
    assert code == 0
    assert out.splitlines() == [
        "segments.big_buyers does not exist yet (a new segment): every member is added",
        "new definition evaluated as of 2024-06-01 00:00:00",
        "",
        "current    0 users",
        "new        1 user",
        "added      1 user",
        "removed    0 users",
        "unchanged  0 users",
        "",
        "added:",
        "visitor_id  user_id  email",
        "----------  -------  -----",
        "u-big       u-big         ",
        "(1 rows)",
    ]


def test_diff_after_a_grain_change_replaces_every_member(project, segmart):
    with edited(project, segment("order_sessions", {"performed": {"event": "order_completed"}})):
        code, out, _ = segmart("diff", "order_sessions", "--limit", "1")
    assert code == 0
    names, rows = session_rows(project, "u-big", "u-small")
    removed = format_table(names, rows[:1], truncated=True)
    assert out.splitlines() == [
        "order_sessions: the registry definition against segments.order_sessions, "
        "refreshed at 2024-06-01 00:00:00",
        "the grain changed from session to user: no member stays",
        "new definition evaluated as of 2024-06-01 00:00:00",
        "",
        "current    2 members",
        "new        2 members",
        "added      2 members",
        "removed    2 members",
        "unchanged  0 members",
        "",
        "added:",
        "visitor_id  user_id  email",
        "----------  -------  -----",
        "u-big       u-big         ",
        "(1 rows; more not shown: --limit shows more)",
        "",
        "removed:",
        *removed.splitlines(),
    ]


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["preview", "explain", "diff"])
def test_unknown_segment_suggests_a_name(segmart, command):
    assert segmart(command, "paid_crt") == (
        1,
        "",
        "segmart: no segment named 'paid_crt' (did you mean 'paid_cart'?)\n",
    )


def test_missing_warehouse_says_to_build(segmart, tmp_path, monkeypatch):
    nowhere = tmp_path / "nowhere.duckdb"
    monkeypatch.setenv("SEGMART_DUCKDB", str(nowhere))
    assert segmart("explain", "paid_cart") == (
        1,
        "",
        f"segmart: no warehouse at {nowhere}: run `segmart build` first\n",
    )
    assert not nowhere.exists()


def test_warehouse_without_marts_says_to_build(segmart, tmp_path, monkeypatch):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    monkeypatch.setenv("SEGMART_DUCKDB", str(empty))
    assert segmart("diff", "paid_cart") == (
        1,
        "",
        f"segmart: the warehouse {empty} has no marts.sessions, marts.users, marts.events: "
        "run `segmart build` first\n",
    )


def test_a_running_refresh_is_reported_not_waited_for(project, segmart):
    with held_open(project, read_only=False):
        code, out, err = segmart("preview", "paid_cart")
    assert (code, out) == (1, "")
    assert err == (
        f"segmart: the warehouse {project.duckdb_path} is being written (a refresh is "
        "running?): try again when it has finished\n"
    )


def test_sql_dbt_cannot_render_is_refused_with_dbts_reason(tmp_path):
    from segmart.inspect.readonly import InspectError
    from segmart.inspect.render import render
    from segmart.settings import Settings

    settings = Settings(events=str(tmp_path), duckdb_path=tmp_path / "unused.duckdb")
    with pytest.raises(InspectError, match="has no attribute 'no_such_macro'"):
        render(["select {{ segmart.no_such_macro() }}"], settings)
