"""The analyst surfaces (models/reports/): daily metrics, funnel, retention and overlap by
segment, on hand-written events with exact expected numbers. One warehouse, built once.

Five visitors (all times 2024-05, UTC; weeks start on Monday 13, 20 and 27):

    visitor  session  when       events                                               utm
    alice    A1       13 10:00   page, Signed Up, Product Viewed, Product Added,
                                 Order Completed 100
             A2       21 09:00   page, Rage Click
             A3       21 20:00   page, Order Completed 30
    bob      B1       14 12:00   page, Signed Up, Product Viewed
             B2       28 12:00   page, Product Added
    carol    C0       15 10:00   page                          (before her signup week)
             C1       21 08:00   page, Signed Up, JS Error, Dead Click                cpc
             C2       29 08:00   page, Quick Back
    dan      D1       13 15:00   page, Product Viewed   (anonymous, never signs up)    cpc
    erin     E1       14 09:59   page, Product Added 10:00, Product Viewed 10:05,
                                 Order Completed 50 10:10

Segments: signed_up (user: alice, bob, carol), buyers (user: alice, erin), paid (session: C1,
D1), friction (session: A2, C1), nobody (session, empty). Funnels: see funnels().
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from segments_support import Events, SegmentProject, campaign, funnel, segment

from segmart import cli
from segmart.dbt_runner import run_dbt
from segmart.serving import publish, serving_path
from segmart.settings import PROJECT_DIR, Settings

CPC = campaign(source="google", medium="cpc")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute)


def events() -> Events:
    e = Events()
    # alice
    e.page("alice", at(13, 10, 0), user=True)
    e.track("alice", "Signed Up", at(13, 10, 1), user=True)
    e.track("alice", "Product Viewed", at(13, 10, 2), user=True)
    e.track("alice", "Product Added", at(13, 10, 3), user=True)
    e.track("alice", "Order Completed", at(13, 10, 4), user=True, revenue=100)
    e.page("alice", at(21, 9, 0), user=True)
    e.track("alice", "Rage Click", at(21, 9, 1), user=True)
    e.page("alice", at(21, 20, 0), user=True)
    e.track("alice", "Order Completed", at(21, 20, 1), user=True, revenue=30)
    # bob
    e.page("bob", at(14, 12, 0), user=True)
    e.track("bob", "Signed Up", at(14, 12, 1), user=True)
    e.track("bob", "Product Viewed", at(14, 12, 2), user=True)
    e.page("bob", at(28, 12, 0), user=True)
    e.track("bob", "Product Added", at(28, 12, 1), user=True)
    # carol
    e.page("carol", at(15, 10, 0), user=True)
    e.page("carol", at(21, 8, 0), user=True, context=CPC)
    e.track("carol", "Signed Up", at(21, 8, 1), user=True)
    e.track("carol", "JS Error", at(21, 8, 2), user=True)
    e.track("carol", "Dead Click", at(21, 8, 3), user=True)
    e.page("carol", at(29, 8, 0), user=True)
    e.track("carol", "Quick Back", at(29, 8, 1), user=True)
    # dan (anonymous)
    e.page("dan", at(13, 15, 0), context=CPC)
    e.track("dan", "Product Viewed", at(13, 15, 1))
    # erin: adds to cart before viewing, so her funnel stops at Consideration
    e.page("erin", at(14, 9, 59), user=True)
    e.track("erin", "Product Added", at(14, 10, 0), user=True)
    e.track("erin", "Product Viewed", at(14, 10, 5), user=True)
    e.track("erin", "Order Completed", at(14, 10, 10), user=True, revenue=50)
    return e


def registry() -> list[dict]:
    return [
        segment("signed_up", {"performed": {"event": "signed_up"}}),
        segment("buyers", {"performed": {"event": "order_completed"}}),
        segment("paid", {"attribute": "utm_medium", "equals": "cpc"}, grain="session"),
        segment(
            "friction",
            {"any": [{"performed": {"event": "rage_click"}}, {"performed": {"event": "js_error"}}]},
            grain="session",
        ),
        segment("nobody", {"attribute": "country", "equals": "Atlantis"}, grain="session"),
    ]


STAGES = [
    {"name": "Awareness", "event": ["page", "screen"]},
    {"name": "Consideration", "event": "product_viewed"},
    {"name": "Decision", "event": "product_added"},
    {"name": "Action", "event": "order_completed"},
]
VISIT = [
    {"name": "Visited", "event": "page"},
    {"name": "Viewed", "event": "Product Viewed"},  # named as sent: product_viewed
    {"name": "Added", "event": "product_added"},
]
RAGE_THEN_ORDER = [
    {"name": "Raged", "event": "rage_click"},
    {"name": "Ordered", "event": "order_completed"},
]


def funnels() -> list[dict]:
    return [
        # Each step after the previous one in any session of the member (the default scope).
        funnel("purchase", STAGES),
        # Every step in the session of the previous one.
        funnel("one_visit", VISIT, scope="session", segments=["signed_up", "paid"]),
        # The same, but adding to the cart in any later session.
        funnel(
            "added_later",
            [*VISIT[:2], {**VISIT[2], "scope": "user"}],
            scope="session",
            segments=["signed_up"],
        ),
        # alice raged at 21 09:01 and ordered at 21 20:01, 11 hours after.
        funnel("rage_6h", RAGE_THEN_ORDER, conversion_window={"hours": 6}, segments=["signed_up"]),
        funnel(
            "rage_12h", RAGE_THEN_ORDER, conversion_window={"hours": 12}, segments=["signed_up"]
        ),
        # Step filters: alice's first order was 100, erin's 50.
        funnel(
            "big_order",
            [
                {"name": "Visited", "event": "page"},
                {
                    "name": "Ordered big",
                    "event": "order_completed",
                    "where": [{"property": "revenue", "gt": 60}],
                },
            ],
            segments=["buyers"],
        ),
    ]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> SegmentProject:
    project = SegmentProject.create(tmp_path_factory.mktemp("reports"))
    project.write_segments(registry())
    project.write_funnels(funnels())
    project.compile()
    project.write_events(events())
    project.build()
    return project


def session_label(warehouse: SegmentProject) -> dict[str, str]:
    """session_id -> A1, A2, ... (visitor initial, upper case, and session number; carol's
    first session is C0)."""
    labels = {}
    for session_id, visitor, number in warehouse.query(
        "select session_id, visitor_id, session_number from marts.sessions"
    ):
        offset = 1 if visitor == "carol" else 0
        labels[session_id] = f"{visitor[0].upper()}{number - offset}"
    return labels


def test_member_sessions_cover_both_grains(warehouse):
    labels = session_label(warehouse)
    rows = warehouse.query(
        "select segment_name, grain, session_id from reports.segment_member_sessions"
    )
    got: dict[str, list[str]] = {}
    for name, grain, session_id in rows:
        got.setdefault(f"{name} ({grain})", []).append(labels[session_id])
    assert {key: sorted(value) for key, value in got.items()} == {
        "signed_up (user)": ["A1", "A2", "A3", "B1", "B2", "C0", "C1", "C2"],
        "buyers (user)": ["A1", "A2", "A3", "E1"],
        "paid (session)": ["C1", "D1"],
        "friction (session)": ["A2", "C1"],
    }


def test_paths_of_a_segments_sessions(warehouse):
    """friction = A2 (a page, then a rage click) and C1 (a page, signed up, a JS error, a dead
    click); pages without a path or name are '(page)'."""
    rows = warehouse.query(
        "select from_step, to_step, transitions, sessions, share_of_from, share_of_to "
        "from reports.segment_paths where segment_name = 'friction' order by 1, 2"
    )
    assert rows == [
        ("(page)", "rage_click", 1, 1, 0.5, 1.0),
        ("(page)", "signed_up", 1, 1, 0.5, 1.0),
        ("(start)", "(page)", 2, 2, 1.0, 1.0),
        ("dead_click", "(exit)", 1, 1, 1.0, 0.5),
        ("js_error", "dead_click", 1, 1, 1.0, 1.0),
        ("rage_click", "(exit)", 1, 1, 1.0, 0.5),
        ("signed_up", "js_error", 1, 1, 1.0, 1.0),
    ]
    # A user-grain segment's paths cover every session of its members: buyers = A1-A3, E1.
    starts = warehouse.query(
        "select sessions from reports.segment_paths "
        "where segment_name = 'buyers' and from_step = '(start)'"
    )
    assert sum(count for (count,) in starts) == 4


DAILY_COLUMNS = (
    "sessions, visitors, converted_sessions, conversion_rate, orders, revenue, "
    "revenue_per_session, rage_click_rate, dead_click_rate, js_error_rate, quick_back_rate"
)


def test_daily_metrics(warehouse):
    rows = warehouse.query(
        f"select segment_name, metric_date, {DAILY_COLUMNS} from reports.segment_daily_metrics"
    )
    got = {(row[0], row[1].day): row[2:] for row in rows}
    third, half = pytest.approx(1 / 3), 0.5
    assert got == {
        # sessions, visitors, converted, conversion, orders, revenue, revenue/session,
        # rage, dead, js error, quick back
        ("signed_up", 13): (1, 1, 1, 1.0, 1, 100.0, 100.0, 0.0, 0.0, 0.0, 0.0),
        ("signed_up", 14): (1, 1, 0, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        ("signed_up", 15): (1, 1, 0, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        ("signed_up", 21): (3, 2, 1, third, 1, 30.0, 10.0, third, third, third, 0.0),
        ("signed_up", 28): (1, 1, 0, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        ("signed_up", 29): (1, 1, 0, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        ("buyers", 13): (1, 1, 1, 1.0, 1, 100.0, 100.0, 0.0, 0.0, 0.0, 0.0),
        ("buyers", 14): (1, 1, 1, 1.0, 1, 50.0, 50.0, 0.0, 0.0, 0.0, 0.0),
        ("buyers", 21): (2, 1, 1, half, 1, 30.0, 15.0, half, 0.0, 0.0, 0.0),
        ("paid", 13): (1, 1, 0, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        ("paid", 21): (1, 1, 0, 0.0, 0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0),
        ("friction", 21): (2, 2, 0, 0.0, 0, 0.0, 0.0, half, half, half, 0.0),
    }


def rebuilt_with_vars(
    warehouse: SegmentProject, tmp_path: Path, model: str, variables: dict, query: str
) -> list[tuple]:
    """`query`'s rows after rebuilding `model` with dbt --vars on a copy of the warehouse (same
    file name: dbt-duckdb names the catalog after it)."""
    copy = shutil.copy(warehouse.duckdb_path, tmp_path / warehouse.duckdb_path.name)
    run_dbt(
        ["run", "--select", model, "--vars", json.dumps(variables)],
        Settings(events=str(warehouse.events_dir), duckdb_path=copy),
        target_path=tmp_path / "target",
        project_dir=warehouse.project_dir,
    )
    with duckdb.connect(str(copy), read_only=True) as connection:
        return connection.execute(query).fetchall()


def test_days_are_the_project_time_zones(warehouse, tmp_path):
    """With segmart_time_zone Asia/Tokyo (UTC+9), A3 (21 20:00 UTC) is on the 22nd and D1 (13
    15:00 UTC) on the 14th; the rest stay on their UTC day. Rebuilt on a copy."""
    rows = rebuilt_with_vars(
        warehouse,
        tmp_path,
        "segment_daily_metrics",
        {"segmart_time_zone": "Asia/Tokyo"},
        "select segment_name, day(metric_date), sessions, orders from "
        "reports.segment_daily_metrics where segment_name in ('buyers', 'paid') order by 1, 2",
    )
    assert rows == [
        ("buyers", 13, 1, 1),
        ("buyers", 14, 1, 1),
        ("buyers", 21, 1, 0),
        ("buyers", 22, 1, 1),
        ("paid", 14, 1, 0),
        ("paid", 21, 1, 0),
    ]


def test_daily_metrics_types_suit_bi_tools(warehouse):
    """Days are dates, counts 64-bit integers (DuckDB sums bigints into 128-bit ones, which
    some JDBC tools cannot read)."""
    row = warehouse.query(
        "select min(metric_date), typeof(min(metric_date)), typeof(min(orders)), "
        "typeof(min(sessions)) from reports.segment_daily_metrics"
    )[0]
    assert row == (date(2024, 5, 13), "DATE", "BIGINT", "BIGINT")


def test_funnel_purchase(warehouse):
    rows = warehouse.query_dicts(
        "select * from reports.funnel_purchase order by segment_name, step_number"
    )
    steps = {row["step_number"]: (row["step_name"], row["step_events"]) for row in rows}
    assert steps == {
        1: ("Awareness", "page, screen"),
        2: ("Consideration", "product_viewed"),
        3: ("Decision", "product_added"),
        4: ("Action", "order_completed"),
    }
    assert {row["funnel_name"] for row in rows} == {"purchase"}
    got: dict[str, list[tuple]] = {}
    for row in rows:
        got.setdefault(row["segment_name"], []).append(
            (
                row["grain"],
                row["segment_members"],
                row["previous_step_members"],
                row["reached_members"],
                row["dropped_members"],
                row["step_conversion_rate"],
                row["conversion_from_first_step"],
            )
        )
    third = pytest.approx(1 / 3)
    two_thirds = pytest.approx(2 / 3)
    assert got == {
        # grain, members, previous step, reached, dropped, step conversion, from first step
        # alice reaches Action, bob Decision (across his two sessions), carol Awareness.
        "signed_up": [
            ("user", 3, 3, 3, 0, 1.0, 1.0),
            ("user", 3, 3, 2, 1, two_thirds, two_thirds),
            ("user", 3, 2, 2, 0, 1.0, two_thirds),
            ("user", 3, 2, 1, 1, 0.5, third),
        ],
        # erin added to cart before she viewed: she stops at Consideration.
        "buyers": [
            ("user", 2, 2, 2, 0, 1.0, 1.0),
            ("user", 2, 2, 2, 0, 1.0, 1.0),
            ("user", 2, 2, 1, 1, 0.5, 0.5),
            ("user", 2, 1, 1, 0, 1.0, 0.5),
        ],
        # A session starts its funnel: D1 viewed a product, C1 did not, nor did carol later.
        "paid": [
            ("session", 2, 2, 2, 0, 1.0, 1.0),
            ("session", 2, 2, 1, 1, 0.5, 0.5),
            ("session", 2, 1, 0, 1, 0.0, 0.0),
            ("session", 2, 0, 0, 0, None, 0.0),
        ],
        # A2 (alice viewed products only on the 13th, before it) and C1 stop at Awareness.
        "friction": [
            ("session", 2, 2, 2, 0, 1.0, 1.0),
            ("session", 2, 2, 0, 2, 0.0, 0.0),
            ("session", 2, 0, 0, 0, None, 0.0),
            ("session", 2, 0, 0, 0, None, 0.0),
        ],
        "nobody": [("session", 0, 0, 0, 0, None, None)] * 4,
    }


def reached(warehouse: SegmentProject, funnel_name: str) -> dict[str, list[int]]:
    """segment -> members reaching each step, in step order."""
    got: dict[str, list[int]] = {}
    for segment_name, count in warehouse.query(
        f"select segment_name, reached_members from reports.funnel_{funnel_name} "
        "order by segment_name, step_number"
    ):
        got.setdefault(segment_name, []).append(count)
    return got


def test_funnel_steps_in_one_session(warehouse):
    # bob viewed in B1 and added to the cart in B2: not in one visit. Reported for the two
    # segments the funnel names only.
    assert reached(warehouse, "one_visit") == {"paid": [2, 1, 0], "signed_up": [3, 2, 1]}


def test_a_step_of_its_own_scope(warehouse):
    # Adding to the cart in any later session: bob's B2 counts.
    assert reached(warehouse, "added_later") == {"signed_up": [3, 2, 2]}


def test_conversion_window(warehouse):
    assert reached(warehouse, "rage_6h") == {"signed_up": [1, 0]}
    assert reached(warehouse, "rage_12h") == {"signed_up": [1, 1]}


def test_step_filters(warehouse):
    assert reached(warehouse, "big_order") == {"buyers": [2, 1]}


def test_segment_funnel_holds_every_funnel(warehouse):
    counts = warehouse.query(
        "select funnel_name, count(*) from reports.segment_funnel group by 1 order by 1"
    )
    # steps x segments reported for
    assert counts == [
        ("added_later", 3),
        ("big_order", 2),
        ("one_visit", 6),
        ("purchase", 20),
        ("rage_12h", 2),
        ("rage_6h", 2),
    ]
    assert warehouse.query(
        "select count(*) from reports.segment_funnel as union_rows"
        " inner join reports.funnel_purchase as purchase"
        " on union_rows.segment_name = purchase.segment_name"
        " and union_rows.step_number = purchase.step_number"
        " and union_rows.reached_members = purchase.reached_members"
        " where union_rows.funnel_name = 'purchase'"
    ) == [(20,)]


def test_a_build_drops_the_tables_of_the_retired_analyses_schema(warehouse, tmp_path):
    """A warehouse built before `analyses` became `reports` keeps its old tables until a build
    drops them (segmart_retired_relations): no reader goes on reading a copy that no longer
    refreshes. Other tables in that schema, and the reports themselves, stay."""
    copy = shutil.copy(warehouse.duckdb_path, tmp_path / warehouse.duckdb_path.name)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("create schema analyses")
        connection.execute("create table analyses.segment_funnel as select 1 as stale")
        connection.execute("create view analyses.segment_overlap as select 1 as stale")
        connection.execute("create table analyses.someone_elses as select 1 as kept")
    messages: list[str] = []
    run_dbt(
        ["run", "--select", "segment_overlap"],
        Settings(events=str(warehouse.events_dir), duckdb_path=copy),
        target_path=tmp_path / "target",
        project_dir=warehouse.project_dir,
        callbacks=[lambda event: messages.append(str(event.info.msg))],
    )
    with duckdb.connect(str(copy), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema in ('analyses', 'reports') order by 1"
        ).fetchall()
    assert [name for (name,) in tables] == [
        "analyses.someone_elses",
        "reports.funnel_added_later",
        "reports.funnel_big_order",
        "reports.funnel_one_visit",
        "reports.funnel_purchase",
        "reports.funnel_rage_12h",
        "reports.funnel_rage_6h",
        "reports.segment_daily_metrics",
        "reports.segment_funnel",
        "reports.segment_member_sessions",
        "reports.segment_overlap",
        "reports.segment_paths",
        "reports.segment_retention",
        "reports.segment_size_history",
    ]
    dropped = [message for message in messages if message.startswith("segmart: dropping")]
    assert len(dropped) == 2 and all("retired" in message for message in dropped), dropped


def test_retention_cohorts(warehouse):
    rows = warehouse.query(
        "select segment_name, cohort_week, weeks_since_signup, activity_week, cohort_users, "
        "active_users, retention_rate from reports.segment_retention"
    )
    got = {(r[0], r[1].day, r[2]): (r[3].day, r[4], r[5], r[6]) for r in rows}
    assert got == {
        # cohort of 13 May: alice and bob; carol signed up on the 21st (her visit of the 15th,
        # before her signup week, counts nowhere).
        ("signed_up", 13, 0): (13, 2, 2, 1.0),
        ("signed_up", 13, 1): (20, 2, 1, 0.5),
        ("signed_up", 13, 2): (27, 2, 1, 0.5),
        ("signed_up", 20, 0): (20, 1, 1, 1.0),
        ("signed_up", 20, 1): (27, 1, 1, 1.0),
        # erin never signed up; alice did not come back in week 2: a row with 0 active.
        ("buyers", 13, 0): (13, 1, 1, 1.0),
        ("buyers", 13, 1): (20, 1, 1, 1.0),
        ("buyers", 13, 2): (27, 1, 0, 0.0),
        # Session grain: the visitors of member sessions (carol; dan never signed up), active in
        # any session (C2 is not a paid session).
        ("paid", 20, 0): (20, 1, 1, 1.0),
        ("paid", 20, 1): (27, 1, 1, 1.0),
        ("friction", 13, 0): (13, 1, 1, 1.0),
        ("friction", 13, 1): (20, 1, 1, 1.0),
        ("friction", 13, 2): (27, 1, 0, 0.0),
        ("friction", 20, 0): (20, 1, 1, 1.0),
        ("friction", 20, 1): (27, 1, 1, 1.0),
    }


def test_overlap_of_each_ordered_pair_of_the_same_grain(warehouse):
    rows = warehouse.query(
        "select segment_name, other_segment_name, grain, members, other_members, "
        "shared_members, overlap_share, jaccard_index from reports.segment_overlap"
    )
    got = {(r[0], r[1]): r[2:] for r in rows}
    assert got == {
        ("signed_up", "buyers"): ("user", 3, 2, 1, pytest.approx(1 / 3), 0.25),
        ("buyers", "signed_up"): ("user", 2, 3, 1, 0.5, 0.25),
        ("paid", "friction"): ("session", 2, 2, 1, 0.5, pytest.approx(1 / 3)),
        ("friction", "paid"): ("session", 2, 2, 1, 0.5, pytest.approx(1 / 3)),
        ("paid", "nobody"): ("session", 2, 0, 0, 0.0, 0.0),
        ("nobody", "paid"): ("session", 0, 2, 0, None, 0.0),
        ("friction", "nobody"): ("session", 2, 0, 0, 0.0, 0.0),
        ("nobody", "friction"): ("session", 0, 2, 0, None, 0.0),
    }


# docs/analyst-queries.md uses starter segments; this warehouse's segments of the same grain
# stand in for them.
DOC_SEGMENTS = {"paid_search": "paid", "power_users": "buyers"}


def doc_queries() -> list[str]:
    text = (PROJECT_DIR / "docs" / "analyst-queries.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL)


def test_the_docs_have_ten_queries():
    assert len(doc_queries()) == 10


@pytest.mark.parametrize("number", range(1, 11))
def test_each_doc_query_runs_on_the_serving_file(warehouse, number):
    """Published as for a BI tool, then queried read-only: every query returns rows."""
    served = _published(warehouse)
    sql = doc_queries()[number - 1]
    for name, stand_in in DOC_SEGMENTS.items():
        sql = sql.replace(f"'{name}'", f"'{stand_in}'")
    with duckdb.connect(str(served), read_only=True) as connection:
        rows = connection.execute(sql).fetchall()
    assert rows, f"query {number} returned no rows"


def _published(warehouse: SegmentProject) -> Path:
    settings = Settings(events=str(warehouse.events_dir), duckdb_path=warehouse.duckdb_path)
    served = serving_path(settings, environ={})
    if not served.exists():
        publish(settings)
    return served


# --- exposures (models/reports/_exposures.yml) ---------------------------------------------------


def manifest(warehouse: SegmentProject) -> dict:
    """The manifest of the module's build (SegmentProject builds into <root>/target)."""
    return json.loads((warehouse.root / "target" / "manifest.json").read_text(encoding="utf-8"))


def test_every_reports_model_is_exposed_to_bi(warehouse):
    nodes = manifest(warehouse)
    exposed = {
        node for exposure in nodes["exposures"].values() for node in exposure["depends_on"]["nodes"]
    }
    reports = {
        unique_id
        for unique_id, node in nodes["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] == "reports"
    }
    # Each funnel's own table is exposed through segment_funnel, which holds all of them.
    tables = {unique_id for unique_id in reports if "funnel" in nodes["nodes"][unique_id]["tags"]}
    assert len(tables) == len(funnels()) and len(reports - tables) == 7
    assert reports - tables <= exposed
    assert tables == set(nodes["nodes"]["model.segmart.segment_funnel"]["depends_on"]["nodes"])


def test_the_analyst_queries_exposure_lists_every_table_the_docs_read(warehouse):
    nodes = manifest(warehouse)
    read = set(re.findall(r"\b(?:segments|reports|marts)\.(\w+)", "\n".join(doc_queries())))
    exposure = nodes["exposures"]["exposure.segmart.analyst_queries"]
    listed = {nodes["nodes"][unique_id]["alias"] for unique_id in exposure["depends_on"]["nodes"]}
    assert listed == read


# --- reading from the terminal: segmart members, timeline, sql --------------------------------


@pytest.fixture
def cli_env(warehouse, monkeypatch):
    _published(warehouse)  # and the snapshot segmart's own commands read
    monkeypatch.setenv("SEGMART_DUCKDB", str(warehouse.duckdb_path))
    monkeypatch.setenv("SEGMART_EVENTS", str(warehouse.events_dir))
    monkeypatch.delenv("SEGMART_SERVING_DIR", raising=False)


def test_segmart_members_lists_a_segments_members(cli_env, capsys):
    assert cli.main(["members", "buyers", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("visitor_id,")
    assert [line.split(",")[0] for line in lines[1:]] == ["alice", "erin"]

    assert cli.main(["members", "buyers", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "alice" in out and "erin" not in out
    assert "(1 rows; more not shown: --limit shows more)" in out

    assert cli.main(["members", "no_such_segment"]) == 1
    assert "no segment named 'no_such_segment'" in capsys.readouterr().err


def test_segmart_timeline_shows_a_members_events_in_order(cli_env, warehouse, capsys):
    assert cli.main(["timeline", "bob", "--format", "json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert [(e["session_number"], e["event_name"]) for e in events] == [
        (1, "page"),
        (1, "signed_up"),
        (1, "product_viewed"),
        (2, "page"),
        (2, "product_added"),
    ]
    # A session id: that session only.
    session = events[-1]["session_id"]
    assert cli.main(["timeline", session, "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1 + 2

    assert cli.main(["timeline", "nobody"]) == 1
    assert "no event of 'nobody'" in capsys.readouterr().err


def test_segmart_sql_formats_and_says_when_it_cuts(cli_env, capsys):
    query = "select visitor_id, session_number from marts.sessions order by 1, 2"
    assert cli.main(["sql", query, "--format", "json", "--limit", "2"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == [
        {"visitor_id": "alice", "session_number": 1},
        {"visitor_id": "alice", "session_number": 2},
    ]
    assert "the first 2 rows; --limit shows more" in err
    assert cli.main(["sql", "select nonsense from nowhere"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("segmart: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
