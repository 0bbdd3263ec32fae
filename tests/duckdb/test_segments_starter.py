"""The starter library (segments/*.yml as committed) on a hand-written fixture, built by the real
project, with every one of the 33 segments' members computed by hand below.

as_of is 2024-06-01T00:00:00. Ten visitors, 21 sessions; each session is written out with what
the session-grain segments look at (channel, device, pages, duration, events), and two accounts
(GROUPS). Session-grain
segments see every session of the warehouse, so their expected lists name all the sessions that
qualify, not only the ones built for them. Members read `<visitor>#<session number>` (session
grain), `<visitor>` (user grain) or the account (account grain).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from rules_support import build, new_warehouse
from segments_support import Events, ago, as_of_env, later, members

from segmart import cli
from segmart.compiler.models import model_name
from segmart.registry import load_registry

DESKTOP = {"device": {"type": "desktop"}}
MOBILE = {"device": {"type": "mobile"}}


@dataclass(frozen=True)
class Visit:
    """One session: the first step carries the context (attribution, device, country)."""

    visitor: str
    start: object  # datetime
    context: dict | None
    steps: tuple  # (seconds after start, "page", path) or (seconds, event name, properties)
    user: bool = True


def visits() -> list[Visit]:
    signup_dee = ago(days=4, seconds=-10)
    return [
        # ann: Paid Search (cpc), desktop, 3 pages in 200 s incl. /pricing/plans; signs up and
        # uses the core feature 10 s later. Plan "pro".
        Visit(
            "ann",
            ago(days=40),
            {"campaign": {"source": "google", "medium": "cpc"}, **DESKTOP, "location": US},
            (
                (0, "page", "/home"),
                (10, "Signed Up", {}),
                (20, "Core Feature Used", {}),
                (100, "page", "/features"),
                (200, "page", "/pricing/plans"),
            ),
        ),
        # ann#2: Direct, desktop, 2 pages in 90 s.
        Visit("ann", ago(days=10), DESKTOP, ((0, "page", "/home"), (90, "page", "/docs"))),
        # bob (anonymous, Brazil): Organic Search, mobile; views the cart, rage-clicks, leaves
        # without checkout (20 s, 2 pages).
        Visit(
            "bob",
            ago(days=3),
            {"page": {"referrer": "https://www.google.com/"}, **MOBILE, "location": BR},
            ((0, "page", "/cart"), (10, "Rage Click", {}), (20, "page", "/shipping")),
            user=False,
        ),
        # bob#2: Paid Social, mobile, Brazil: cart, checkout, a 1200 order (70 s, 2 pages).
        Visit(
            "bob",
            ago(days=1),
            {
                "campaign": {"source": "facebook", "medium": "paid-social"},
                **MOBILE,
                "location": BR,
            },
            (
                (0, "page", "/cart"),
                (30, "Checkout Started", {}),
                (60, "Order Completed", {"revenue": 1200}),
                (70, "page", "/thanks"),
            ),
            user=False,
        ),
        # cy: plan "free". Direct desktop visit with the core feature (5 s, 1 page) ...
        Visit("cy", ago(days=30), DESKTOP, ((0, "page", "/home"), (5, "Core Feature Used", {}))),
        # ... then a Referral (Hacker News) visit on a tablet where cy signs up (40 s, 1 page).
        Visit(
            "cy",
            ago(days=5),
            {"page": {"referrer": "https://news.ycombinator.com/item?id=1"}, "device": TABLET},
            ((0, "page", "/signup"), (40, "Signed Up", {})),
        ),
        # dee: Email, desktop: signs up, hits a JS error, a dead click, a quick back (40 s, 1 page).
        Visit(
            "dee",
            ago(days=4),
            {"campaign": {"source": "newsletter", "medium": "email"}, **DESKTOP},
            (
                (0, "page", "/welcome"),
                (10, "Signed Up", {}),
                (20, "JS Error", {}),
                (30, "Dead Click", {}),
                (40, "Quick Back", {}),
            ),
        ),
        # dee#2, 30 h after signing up: Direct, desktop, completes setup, uses the core feature.
        Visit(
            "dee",
            later(signup_dee, hours=30),
            DESKTOP,
            ((0, "page", "/app"), (10, "Setup Completed", {}), (20, "Core Feature Used", {})),
        ),
        # eve: three Direct desktop sessions 27, 20 and 16 days ago, two report exports each
        # (20 s, 1 page) ...
        *[
            Visit(
                "eve",
                ago(days=days),
                DESKTOP,
                ((0, "page", "/reports"), (10, "Report Exported", {}), (20, "Report Exported", {})),
            )
            for days in (27, 20, 16)
        ],
        # ... and one 2 days ago: 5 pages in 400 s, no export.
        Visit(
            "eve",
            ago(days=2),
            DESKTOP,
            tuple((100 * n, "page", path) for n, path in enumerate(["/reports", *"xyzw"])),
        ),
        # fay (anonymous, Germany): Paid Search (ppc), mobile: views and adds a product
        # (100 s, 1 page) ...
        Visit(
            "fay",
            ago(days=6),
            {"campaign": {"source": "bing", "medium": "ppc"}, **MOBILE, "location": DE},
            ((0, "page", "/landing"), (30, "Product Viewed", {}), (100, "Product Added", {})),
            user=False,
        ),
        # ... and again: adds a product, views the cart, no checkout (200 s, 2 pages).
        Visit(
            "fay",
            ago(days=2),
            {"campaign": {"source": "bing", "medium": "ppc"}, **MOBILE, "location": DE},
            ((0, "page", "/landing"), (100, "Product Added", {}), (200, "page", "/cart")),
            user=False,
        ),
        # gus: plan "enterprise". Orders of 500 (100 days ago) and 900 (50 days ago), Direct
        # desktop (10 s, 1 page each); the core feature 10 days ago (a track-only session).
        Visit(
            "gus",
            ago(days=100),
            DESKTOP,
            ((0, "page", "/shop"), (10, "Order Completed", {"revenue": 500})),
        ),
        # ... the second after a JS error 5 s before it, on the checkout page.
        Visit(
            "gus",
            ago(days=50),
            DESKTOP,
            (
                (0, "page", "/checkout"),
                (5, "js_error", {}),
                (10, "Order Completed", {"revenue": 900}),
            ),
        ),
        Visit("gus", ago(days=10), None, ((0, "Core Feature Used", {}),)),
        # hal (anonymous): Organic Search (Bing), desktop, 6 pages in 300 s.
        Visit(
            "hal",
            ago(days=1),
            {"page": {"referrer": "https://www.bing.com/"}, **DESKTOP},
            tuple((60 * n, "page", f"/p{n}") for n in range(6)),
            user=False,
        ),
        # ivy: plan "starter", then "pro" from 1 day ago; uses the core feature 25 and 5 days
        # ago (Direct desktop, 5 s, 1 page).
        *[
            Visit(
                "ivy", ago(days=days), DESKTOP, ((0, "page", "/app"), (5, "Core Feature Used", {}))
            )
            for days in (25, 5)
        ],
        # jay (anonymous, no plan): the core feature 30 days ago, Direct, mobile (5 s, 1 page).
        Visit(
            "jay",
            ago(days=30),
            MOBILE,
            ((0, "page", "/app"), (5, "Core Feature Used", {})),
            user=False,
        ),
    ]


US, BR, DE = {"country": "US"}, {"country": "BR"}, {"country": "DE"}
TABLET = {"type": "tablet"}
TRAITS = {
    "ann": {"plan": "pro", "email": "ann@example.com", "job_function": "engineering"},
    "cy": {"plan": "free"},
    "dee": {"job_function": "data"},
    "gus": {"plan": "enterprise", "job_function": "Data"},
    "ivy": {"plan": "starter", "job_function": "data"},
}
# Identify calls after the first: ivy upgrades to pro a day before as_of (after her core feature
# uses), sending only the changed trait.
LATER_TRAITS = [("ivy", ago(days=1), {"plan": "pro"})]
# Accounts (group calls at each user's first visit): acme, enterprise: ann, cy, dee, eve;
# globex, pro: gus, ivy.
GROUPS = [
    ("ann", "acme", {"name": "Acme", "plan": "enterprise"}),
    ("cy", "acme", {}),
    ("dee", "acme", {}),
    ("eve", "acme", {}),
    ("gus", "globex", {"name": "Globex", "plan": "pro"}),
    ("ivy", "globex", {}),
]


def starter_events() -> Events:
    events = Events()
    first_visit = {}
    for visit in visits():
        first_visit.setdefault(visit.visitor, visit)
        for index, (seconds, kind, detail) in enumerate(visit.steps):
            when = later(visit.start, minutes=seconds / 60)
            context = visit.context if index == 0 else None
            if kind == "page":
                events.page(visit.visitor, when, user=visit.user, context=context, path=detail)
            else:
                events.track(visit.visitor, kind, when, user=visit.user, context=context, **detail)
    for visitor, traits in TRAITS.items():
        events.identify(visitor, first_visit[visitor].start, user=True, **traits)
    for visitor, when, traits in LATER_TRAITS:
        events.identify(visitor, when, user=True, **traits)
    for visitor, account, traits in GROUPS:
        events.group(visitor, first_visit[visitor].start, account, user=True, **traits)
    return events


# Sessions: what the session-grain segments see.
#   ann#1 Paid Search  desktop 3 p 200 s first  signed_up, core_feature_used, /pricing/plans
#   ann#2 Direct       desktop 2 p  90 s
#   bob#1 Org. Search  mobile  2 p  20 s first  rage_click, /cart (Brazil)
#   bob#2 Paid Social  mobile  2 p  70 s        checkout_started, order_completed 1200
#   cy#1  Direct       desktop 1 p   5 s first  core_feature_used
#   cy#2  Referral     tablet  1 p  40 s        signed_up
#   dee#1 Email        desktop 1 p  40 s first  signed_up, js_error, dead_click, quick_back
#   dee#2 Direct       desktop 1 p  20 s        setup_completed, core_feature_used
#   eve#1-3 Direct     desktop 1 p  20 s (#1 first)  report_exported x2
#   eve#4 Direct       desktop 5 p 400 s
#   fay#1 Paid Search  mobile  1 p 100 s first  product_viewed, product_added
#   fay#2 Paid Search  mobile  2 p 200 s        product_added, /cart (Germany)
#   gus#1 Direct       desktop 1 p  10 s first  order_completed 500
#   gus#2 Direct       desktop 1 p  10 s        js_error, order_completed 900
#   gus#3 Direct       (none)  0 p   0 s        core_feature_used
#   hal#1 Org. Search  desktop 6 p 300 s first
#   ivy#1-2 Direct     desktop 1 p   5 s (#1 first)  core_feature_used
#   jay#1 Direct       mobile  1 p   5 s first  core_feature_used
EXPECTED = {
    # order_completed in the session: bob's 1200 order, gus's two orders.
    "action": ["bob#2", "gus#1", "gus#2"],
    # Accounts with 3 users with a session in the last 7 days: acme (cy 5, dee 4 and 3, eve 2
    # days ago; ann 10 days ago). globex: ivy only.
    "active_accounts": ["acme"],
    # A JS error after a checkout page in the session: gus#2 (globex). dee's was on /welcome.
    "checkout_error_accounts": ["globex"],
    # acme is enterprise but its core feature uses are not half of 14 days before: ann's (40
    # days ago) and cy's (30) are older than the 28 days compared, and dee's recent one has no
    # earlier one to drop from. globex is pro.
    "enterprise_usage_dropped": [],
    # Users in an enterprise account: acme's.
    "enterprise_users": ["ann", "cy", "dee", "eve"],
    # core_feature_used within 24 h after the first signed_up: ann (10 s later). dee's is 30 h
    # later, cy's came before signing up; the others never signed up.
    "activated_fast": ["ann"],
    # /cart then no checkout_started in that session, in the last 7 days, in Brazil: bob#1.
    # (bob#2 checked out; fay's cart session is in Germany.)
    "almost_bought": ["bob"],
    # A plan other than free, core feature before the last 21 days but not in them: ann
    # (40 days ago). Not cy (free), gus (only 10 days ago), ivy (also 5 days ago), jay (no plan).
    "churn_risk": ["ann"],
    # product_added in the last 14 days, no checkout_started within 30 minutes: fay (6 and 2
    # days ago). bob checked out but never added a product.
    "cart_stalled": ["fay"],
    # product_viewed in the session.
    "consideration": ["fay#1"],
    # job_function data (any case) and the core feature in the last 30 days on pro or
    # enterprise at the time: gus (10 days ago, enterprise). ivy used it on starter and
    # upgraded after; dee has no plan; ann is in engineering (and used it 40 days ago).
    "data_team_pro_usage": ["gus"],
    "dead_click_sessions": ["dee#1"],
    # product_added in the session.
    "decision": ["fay#1", "fay#2"],
    # device_type desktop (cy#2 is a tablet, gus#3 has no device, the rest are mobile).
    "desktop": [
        "ann#1",
        "ann#2",
        "cy#1",
        "dee#1",
        "dee#2",
        "eve#1",
        "eve#2",
        "eve#3",
        "eve#4",
        "gus#1",
        "gus#2",
        "hal#1",
        "ivy#1",
        "ivy#2",
    ],
    # No UTM and no referrer.
    "direct": [
        "ann#2",
        "cy#1",
        "dee#2",
        "eve#1",
        "eve#2",
        "eve#3",
        "eve#4",
        "gus#1",
        "gus#2",
        "gus#3",
        "ivy#1",
        "ivy#2",
        "jay#1",
    ],
    # Sessions: 3 prior (27, 20, 16 days ago) and 1 recent (2 days ago): 1 <= 50% of 3 (eve).
    # ivy has only 1 prior session; the rest none in the prior 14 days.
    "engagement_dropped": ["eve"],
    # js_error within the hour before an order: gus (5 s before his 900 order). dee's error
    # has no order after it.
    "error_before_order": ["gus"],
    "error_sessions": ["dee#1", "gus#2"],
    # A rage-click session (bob#1) or a JS error (dee#1) in the last 30 days; gus's error is 50
    # days old.
    "frustrated_users": ["bob", "dee"],
    # Each visitor's first session.
    "first_time_visit": [
        "ann#1",
        "bob#1",
        "cy#1",
        "dee#1",
        "eve#1",
        "fay#1",
        "gus#1",
        "hal#1",
        "ivy#1",
        "jay#1",
    ],
    # Longer than 180 s and (>= 5 pages, product_added or a /pricing page): ann#1 (/pricing),
    # eve#4 (5 pages), fay#2 (product added), hal#1 (6 pages).
    "high_intent": ["ann#1", "eve#4", "fay#2", "hal#1"],
    # Revenue in the last 90 days >= 1000: bob (1200). gus's 500 is 100 days old, so only 900.
    "high_value": ["bob"],
    # Under 30 s or exactly 1 page.
    "low_intent": [
        "bob#1",  # 20 s
        "cy#1",
        "cy#2",  # 1 page
        "dee#1",  # 1 page
        "dee#2",
        "eve#1",
        "eve#2",
        "eve#3",
        "fay#1",  # 1 page (100 s)
        "gus#1",
        "gus#2",
        "gus#3",  # 0 s, no page
        "ivy#1",
        "ivy#2",
        "jay#1",
    ],
    # 60-180 s and 2-4 pages: ann#2 (90 s, 2 p), bob#2 (70 s, 2 p).
    "mid_intent": ["ann#2", "bob#2"],
    "mobile": ["bob#1", "bob#2", "fay#1", "fay#2", "jay#1"],
    # Signed up more than 48 h ago and no setup_completed within 48 h: ann (40 days ago) and cy
    # (5 days ago). dee completed setup 30 h after signing up.
    "onboarding_stalled": ["ann", "cy"],
    "organic_search": ["bob#1", "hal#1"],
    "paid_search": ["ann#1", "fay#1", "fay#2"],
    # paid_search and high_intent.
    "paid_search_high_intent": ["ann#1", "fay#2"],
    "paid_social": ["bob#2"],
    "power_users": ["eve"],  # 6 report exports in the last 30 days
    "quick_back_sessions": ["dee#1"],
    "rage_click_sessions": ["bob#1"],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, dbt_target_path):
    warehouse = new_warehouse(tmp_path_factory, dbt_target_path, "segments-starter")
    starter_events().write(warehouse.events_dir / "events.jsonl")
    with as_of_env("2024-06-01T00:00:00"):
        build(warehouse)
    return warehouse


def test_the_generated_models_are_up_to_date(capsys):
    assert cli.main(["compile", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_every_starter_segment_is_expected():
    assert set(EXPECTED) == set(load_registry().names)
    assert len(EXPECTED) == 33


def test_the_fixture_sessions(warehouse):
    # The session table the expectations above are computed from.
    rows = warehouse.query(
        "select visitor_id || '#' || session_number, channel, device_type, page_count, "
        "duration_seconds from marts.sessions order by 1"
    )
    assert [row[0] for row in rows] == sorted(
        f"{visitor}#{n}"
        for visitor, count in {
            "ann": 2,
            "bob": 2,
            "cy": 2,
            "dee": 2,
            "eve": 4,
            "fay": 2,
            "gus": 3,
            "hal": 1,
            "ivy": 2,
            "jay": 1,
        }.items()
        for n in range(1, count + 1)
    )
    by_session = {row[0]: row[1:] for row in rows}
    assert by_session["ann#1"] == ("Paid Search", "desktop", 3, 200.0)
    assert by_session["bob#2"] == ("Paid Social", "mobile", 2, 70.0)
    assert by_session["cy#2"] == ("Referral", "tablet", 1, 40.0)
    assert by_session["dee#1"] == ("Email", "desktop", 1, 40.0)
    assert by_session["gus#3"] == ("Direct", None, 0, 0.0)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_starter_segment_members(warehouse, name):
    assert members(warehouse, name) == EXPECTED[name]


def test_each_segment_has_its_own_table(warehouse):
    tables = {
        name
        for (name,) in warehouse.query(
            "select table_name from information_schema.tables where table_schema = 'segments'"
        )
    }
    assert set(EXPECTED) <= tables
    assert model_name("action") == "seg_action"


def test_dbt_docs_carry_every_segments_registry_metadata(warehouse):
    # `dbt docs generate` is how analysts browse segments: every registry field a reader needs
    # must reach the manifest (descriptions, meta) and the built table reach the catalog.
    warehouse.dbt("docs", "generate")
    manifest = json.loads((warehouse.target_path / "manifest.json").read_text())
    catalog = json.loads((warehouse.target_path / "catalog.json").read_text())
    for segment in load_registry():
        unique_id = f"model.segmart.{model_name(segment.name)}"
        node = manifest["nodes"][unique_id]
        assert node["description"] == f"{segment.title}. {segment.description}"
        assert node["meta"]["owner"] == segment.owner
        assert node["meta"]["use_case"] == segment.use_case
        assert node["meta"]["title"] == segment.title
        assert node["meta"]["visibility"] == str(segment.visibility)
        assert node["meta"]["refresh"] == str(segment.refresh)
        assert node["meta"]["grain"] == str(segment.grain)
        assert node["meta"]["segment_tags"] == list(segment.tags)
        assert "segment" in node["tags"]
        table = catalog["nodes"][unique_id]
        assert (table["metadata"]["schema"], table["metadata"]["name"]) == (
            "segments",
            segment.name,
        )
        documented = {column["name"] for column in node["columns"].values()}
        assert documented and documented <= {c.lower() for c in table["columns"]}
