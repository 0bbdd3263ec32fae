"""Rules for the marts: session channel, session columns, users, page_views and events.

One warehouse holds every case: each channel case is a visitor `ch-<case id>` with one page view;
`u-ann` is a customer whose whole history is spelled out below, with exact expected rows.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from rules_support import at, build, message, new_warehouse, rows_by, write_events

DAY = 86400

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"

# --- Channel cases: (case id, UTM fields of the first event, its referrer, expected channel) ----

CHANNEL_CASES = [
    # With UTM (source or medium set): the medium decides, a social referrer makes it Paid Social.
    ("utm-cpc", {"source": "google", "medium": "cpc"}, None, "Paid Search"),
    ("utm-ppc-upper", {"source": "bing", "medium": "PPC"}, None, "Paid Search"),
    ("utm-spaces", {"source": "google", "medium": " Paid Search "}, None, "Paid Search"),
    ("utm-underscore", {"source": "google", "medium": "paid_search"}, None, "Paid Search"),
    ("utm-paidsearch", {"source": "google", "medium": "PaidSearch"}, None, "Paid Search"),
    ("utm-sem", {"source": "google", "medium": "sem"}, None, "Paid Search"),
    ("utm-paid-social", {"source": "facebook", "medium": "paid-social"}, None, "Paid Social"),
    ("utm-social-paid", {"source": "facebook", "medium": "Social_Paid"}, None, "Paid Social"),
    ("utm-paidsocial", {"source": "instagram", "medium": "paidsocial"}, None, "Paid Social"),
    (
        "utm-banner-from-facebook",
        {"source": "spring", "medium": "banner"},
        "https://l.facebook.com/l.php?u=x",
        "Paid Social",
    ),
    ("utm-source-only-from-t-co", {"source": "partner"}, "https://t.co/AbC123", "Paid Social"),
    ("utm-email", {"source": "newsletter", "medium": "Email"}, None, "Email"),
    ("utm-unknown-medium", {"source": "partner", "medium": "banner"}, None, "Other"),
    ("utm-source-only", {"source": "partner"}, None, "Other"),
    ("utm-medium-only", {"medium": "display"}, None, "Other"),
    (
        "utm-from-search-engine",
        {"source": "partner", "medium": "display"},
        "https://www.google.com/",
        "Other",
    ),
    # Without UTM: the referrer decides.
    ("campaign-name-only", {"name": "spring"}, None, "Direct"),
    ("blank-utm", {"source": " ", "medium": ""}, "https://www.google.com/", "Organic Search"),
    ("no-referrer", {}, None, "Direct"),
    ("empty-referrer", {}, "", "Direct"),
    ("google-co-uk", {}, "https://www.google.co.uk/", "Organic Search"),
    ("google-upper-port", {}, "HTTPS://WWW.GOOGLE.COM:443/search?q=a", "Organic Search"),
    ("bing", {}, "https://www.bing.com/search?q=segmart", "Organic Search"),
    ("duckduckgo", {}, "https://duckduckgo.com/", "Organic Search"),
    ("yahoo", {}, "https://search.yahoo.com/search?p=x", "Organic Search"),
    ("baidu", {}, "https://www.baidu.com/s?wd=x", "Organic Search"),
    ("yandex", {}, "https://yandex.ru/search/?text=x", "Organic Search"),
    ("ecosia", {}, "https://www.ecosia.org/search?q=x", "Organic Search"),
    ("facebook", {}, "https://l.facebook.com/l.php?u=x", "Organic Social"),
    ("instagram", {}, "https://www.instagram.com/", "Organic Social"),
    ("t-co", {}, "https://t.co/AbC123", "Organic Social"),
    ("twitter", {}, "https://twitter.com/someone", "Organic Social"),
    ("x-com", {}, "https://x.com/someone/status/1", "Organic Social"),
    ("linkedin", {}, "https://www.linkedin.com/feed/", "Organic Social"),
    ("reddit", {}, "https://old.reddit.com/r/analytics/", "Organic Social"),
    ("pinterest", {}, "https://www.pinterest.com/pin/1/", "Organic Social"),
    ("tiktok", {}, "https://www.tiktok.com/@someone", "Organic Social"),
    ("youtube", {}, "https://m.youtube.com/watch?v=1", "Organic Social"),
    ("netflix-is-not-x-com", {}, "https://www.netflix.com/browse", "Referral"),
    ("bit-co-is-not-t-co", {}, "https://bit.co/x", "Referral"),
    ("hacker-news", {}, "https://news.ycombinator.com/item?id=1", "Referral"),
]


def channel_case_messages() -> list[dict]:
    messages = []
    for case_id, utm, referrer, _ in CHANNEL_CASES:
        context: dict = {"campaign": utm}
        if referrer is not None:
            context["page"] = {"referrer": referrer}
        messages.append(message(f"ch-{case_id}", anonymous_id=f"ch-{case_id}", context=context))
    # The referrer of the session's first event decides, not a later one.
    messages += [
        message("ch-first-event-a", anonymous_id="ch-first-event"),
        message(
            "ch-first-event-b",
            seconds=60,
            anonymous_id="ch-first-event",
            context={"page": {"referrer": "https://www.google.com/"}},
        ),
    ]
    # analytics.js puts the referrer in the page call's properties.
    messages.append(
        message(
            "ch-properties-referrer",
            anonymous_id="ch-properties-referrer",
            properties={"referrer": "https://www.bing.com/"},
        )
    )
    return messages


# --- Ann: one customer, three sessions -----------------------------------------------------------


def ann(message_id: str, seconds: float, **fields) -> dict:
    return message(f"ann-{message_id:0>2}", seconds=seconds, **fields)


FIRST_CONTEXT = {
    "userAgent": IPHONE_SAFARI,
    "location": {"country": "gb"},
    "campaign": {
        "source": "google",
        "medium": "cpc",
        "name": "brand",
        "term": "segmart",
        "content": "ad-1",
    },
    "page": {"search": "?utm_source=google"},
}
LATER_CONTEXT = {"userAgent": IPHONE_SAFARI, "location": {"country": "gb"}}


def ann_track(number: int, seconds: float, event: str, **fields) -> dict:
    return ann(
        str(number),
        seconds,
        type="track",
        event=event,
        anonymous_id="anon-ann",
        context=LATER_CONTEXT,
        **fields,
    )


def identify(number: int, seconds: float, traits: dict) -> dict:
    return ann(
        str(number),
        seconds,
        type="identify",
        anonymous_id="anon-ann",
        user_id="u-ann",
        traits=traits,
    )


ANN = [
    # Session 1: anonymous on an iPhone from a Google ad, logs in, buys three times.
    ann(
        "1",
        0,
        anonymous_id="anon-ann",
        name="Landing",
        properties={
            "path": "/landing",
            "url": "https://acme.test/landing",
            "title": "Welcome",
            "referrer": "https://www.google.co.uk/",
        },
        context=FIRST_CONTEXT,
    ),
    ann_track(2, 10, "Rage Click"),
    ann_track(3, 20, "rage click"),
    ann_track(4, 30, "Dead Click"),
    ann_track(5, 40, "JS Error"),
    ann_track(6, 50, "Quick Back"),
    ann_track(7, 60, "Excessive Scroll"),
    ann("8", 120, anonymous_id="anon-ann", context={**LATER_CONTEXT, "page": {"path": "/pricing"}}),
    identify(
        9,
        130,
        {
            "email": "ann@acme.test",
            "name": "Ann",
            "plan": "free",
            "company": "Acme",
            "company_size": 10,
            "mrr": 0,
        },
    ),
    ann_track(10, 150, "Signed Up", user_id="u-ann"),
    ann_track(11, 200, "Order Completed", user_id="u-ann", properties={"revenue": 49.5}),
    ann_track(12, 210, "order_completed", user_id="u-ann", properties={"revenue": "10.25"}),
    ann_track(13, 220, "Order Completed", user_id="u-ann", properties={}),
    ann(
        "14",
        300,
        type="screen",
        name="Checkout",
        anonymous_id="anon-ann",
        user_id="u-ann",
        context=LATER_CONTEXT,
    ),
    ann_track(15, 310, "Product Viewed", user_id="u-ann"),
    # Session 2, a day later, on a tablet (the context says so, the user agent says "mobile").
    ann(
        "16",
        DAY,
        user_id="u-ann",
        properties={"path": "/docs"},
        context={
            "userAgent": ANDROID_CHROME,
            "device": {"type": "Tablet"},
            "os": {"name": "Android"},
        },
    ),
    ann_track(17, DAY + 10, "Signed Up", user_id="u-ann"),
    # Later identify calls: only non-null traits replace earlier values.
    identify(18, 2 * DAY, {"plan": "pro", "mrr": 99.5, "email": None, "company_size": "25"}),
    identify(19, 3 * DAY, {"name": "Ann Smith"}),
    # Session 3, from Hacker News on Windows.
    ann(
        "20",
        4 * DAY,
        user_id="u-ann",
        properties={"path": "/account", "referrer": "https://news.ycombinator.com/"},
        context={"userAgent": WINDOWS_FIREFOX},
    ),
    # Delivered last, but it happened before identify 18 and 19: it replaces nothing newer.
    identify(21, DAY + 20, {"plan": "enterprise", "name": "Old Name"}),
]


def bot_messages() -> list[dict]:
    messages = []
    # Exactly 12 h of activity, a page every 24 min.
    messages += [
        message(f"bot-12h-{i:02}", seconds=i * 1440, anonymous_id="bot-12h") for i in range(31)
    ]
    # Just under 12 h.
    messages += [
        message(f"bot-almost-{i:02}", seconds=i * 1440, anonymous_id="bot-almost")
        for i in range(30)
    ]
    messages.append(message("bot-almost-30", seconds=43199, anonymous_id="bot-almost"))
    # 2000 events in one session, and 1999.
    for visitor, count in (("bot-2000", 2000), ("bot-1999", 1999)):
        messages += [
            message(
                f"{visitor}-{i:04}",
                type="track",
                event="Scrolled",
                seconds=i,
                anonymous_id=visitor,
            )
            for i in range(count)
        ]
    return messages


IDENTIFY_ONLY = [
    message(
        "identify-only-1",
        type="identify",
        user_id="u-identify-only",
        traits={"email": "io@example.test", "company_size": "many"},
    )
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, dbt_target_path):
    warehouse = new_warehouse(tmp_path_factory, dbt_target_path, "rules-marts")
    write_events(warehouse.events_dir / "channels.jsonl", channel_case_messages())
    write_events(warehouse.events_dir / "ann.jsonl", ANN)
    write_events(warehouse.events_dir / "bots.jsonl", bot_messages())
    write_events(warehouse.events_dir / "identify-only.jsonl", IDENTIFY_ONLY)
    return build(warehouse)


@pytest.fixture(scope="module")
def sessions(warehouse) -> dict[tuple[str, int], dict]:
    return rows_by(
        warehouse,
        "select * from marts.sessions",
        key=lambda row: (row["visitor_id"], row["session_number"]),
    )


@pytest.fixture(scope="module")
def users(warehouse) -> dict[str, dict]:
    return rows_by(warehouse, "select * from marts.users", key="visitor_id")


# --- Channel -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_id", "utm", "referrer", "expected_channel"),
    CHANNEL_CASES,
    ids=[case[0] for case in CHANNEL_CASES],
)
def test_channel_of_a_session(sessions, case_id, utm, referrer, expected_channel):
    assert sessions[(f"ch-{case_id}", 1)]["channel"] == expected_channel


def test_channel_comes_from_the_sessions_first_event(sessions):
    row = sessions[("ch-first-event", 1)]
    assert (row["event_count"], row["referrer"], row["channel"]) == (2, None, "Direct")


def test_a_page_referrer_in_properties_counts(sessions):
    row = sessions[("ch-properties-referrer", 1)]
    assert (row["referrer_host"], row["channel"]) == ("www.bing.com", "Organic Search")


def test_referrer_host_is_the_lower_case_host_without_port(sessions):
    assert sessions[("ch-google-upper-port", 1)]["referrer_host"] == "www.google.com"
    assert sessions[("ch-google-co-uk", 1)]["referrer_host"] == "www.google.co.uk"


# --- Session columns -----------------------------------------------------------------------------


def test_a_session_row_summarizes_its_events(sessions):
    row = dict(sessions[("u-ann", 1)])
    session_id = row.pop("session_id")
    row.pop("_sessionized_at")
    row.pop("_sessionized_run")
    assert session_id
    assert row == {
        "visitor_id": "u-ann",
        "user_id": "u-ann",
        "anonymous_id": "anon-ann",
        "session_number": 1,
        "is_first_visit": True,
        "session_start": at(0),
        "session_end": at(310),
        "duration_seconds": 310.0,
        "event_count": 14,  # the identify call is not activity
        "page_count": 3,  # two pages and a screen
        "landing_page": "/landing",
        "exit_page": "Checkout",  # a screen's name stands in for its path
        "referrer": "https://www.google.co.uk/",
        "referrer_host": "www.google.co.uk",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "brand",
        "utm_term": "segmart",
        "utm_content": "ad-1",
        "channel": "Paid Search",
        "device_type": "mobile",
        "os": "iOS",
        "browser": "Safari",
        "country": "GB",
        "rage_click_count": 2,
        "dead_click_count": 1,
        "js_error_count": 1,
        "quick_back_count": 1,
        "excessive_scroll_count": 1,
        "order_count": 3,
        "revenue": 59.75,
        "is_suspected_bot": False,
    }


def test_money_is_decimal_end_to_end(warehouse, sessions, users):
    # Revenue and mrr are exact decimals (numeric(28, 6)), never binary floats that print
    # 1094.5700000000002: 49.5 and "10.25" make 59.75 exactly.
    assert sessions[("u-ann", 1)]["revenue"] == Decimal("59.75")
    assert users["u-ann"]["lifetime_revenue"] == Decimal("59.75")
    assert users["u-ann"]["mrr"] == Decimal("99.5")
    types = warehouse.query(
        "select table_name, column_name, data_type from information_schema.columns "
        "where column_name in ('revenue', 'lifetime_revenue', 'mrr') and table_schema = 'marts' "
        "order by 1, 2"
    )
    assert types == [
        ("accounts", "lifetime_revenue", "DECIMAL(28,6)"),
        ("sessions", "revenue", "DECIMAL(28,6)"),
        ("users", "lifetime_revenue", "DECIMAL(28,6)"),
        ("users", "mrr", "DECIMAL(28,6)"),
    ]


def test_device_and_os_from_the_context_win_over_the_user_agent(sessions):
    row = sessions[("u-ann", 2)]
    assert {key: row[key] for key in ("device_type", "os", "browser", "country")} == {
        "device_type": "tablet",
        "os": "Android",
        "browser": "Chrome",
        "country": None,
    }


def test_a_later_session_of_a_user(sessions):
    row = sessions[("u-ann", 3)]
    assert {
        key: row[key]
        for key in (
            "is_first_visit",
            "anonymous_id",
            "session_start",
            "duration_seconds",
            "event_count",
            "page_count",
            "landing_page",
            "exit_page",
            "channel",
            "device_type",
            "os",
            "browser",
            "order_count",
            "revenue",
            "rage_click_count",
        )
    } == {
        "is_first_visit": False,
        "anonymous_id": None,
        "session_start": at(4 * DAY),
        "duration_seconds": 0.0,
        "event_count": 1,
        "page_count": 1,
        "landing_page": "/account",
        "exit_page": "/account",
        "channel": "Referral",
        "device_type": "desktop",
        "os": "Windows",
        "browser": "Firefox",
        "order_count": 0,
        "revenue": 0.0,
        "rage_click_count": 0,
    }


@pytest.mark.parametrize(
    ("visitor_id", "expected_bot", "expected_events"),
    [
        ("bot-12h", True, 31),
        ("bot-almost", False, 31),
        ("bot-2000", True, 2000),
        ("bot-1999", False, 1999),
    ],
)
def test_sessions_of_12_hours_or_2000_events_are_suspected_bots(
    sessions, visitor_id, expected_bot, expected_events
):
    row = sessions[(visitor_id, 1)]
    assert (row["is_suspected_bot"], row["event_count"]) == (expected_bot, expected_events)
    assert (visitor_id, 2) not in sessions


def test_every_activity_event_belongs_to_exactly_one_session(warehouse):
    assert warehouse.query(
        """
        select
            (select sum(event_count) from marts.sessions),
            (select count(*) from marts.events where session_id is not null),
            (select count(*) from marts.events where message_type in ('page', 'screen', 'track'))
        """
    ) == [(len(CHANNEL_CASES) + 3 + 17 + 62 + 3999,) * 3]


# --- Users ---------------------------------------------------------------------------------------


def test_a_user_row_has_activity_span_latest_traits_and_acquisition(users):
    row = dict(users["u-ann"])
    row.pop("_sessionized_at")
    row.pop("_sessionized_run")
    latest_traits = json.loads(row.pop("latest_traits"))
    assert row == {
        "visitor_id": "u-ann",
        "user_id": "u-ann",
        "first_seen": at(0),
        "last_seen": at(4 * DAY),
        "signup_at": at(150),
        "email": "ann@acme.test",
        "name": "Ann Smith",
        "plan": "pro",
        "company": "Acme",
        "company_size": 25,
        "mrr": 99.5,
        "sessions_count": 3,
        "lifetime_orders": 3,
        "lifetime_revenue": 59.75,
        "first_channel": "Paid Search",
        "first_country": "GB",
    }
    assert latest_traits == {"name": "Ann Smith"}


def test_an_anonymous_visitor_is_a_user_row_without_user_id(users):
    row = users["ch-no-referrer"]
    assert {
        key: row[key]
        for key in (
            "user_id",
            "first_seen",
            "last_seen",
            "signup_at",
            "email",
            "sessions_count",
            "lifetime_revenue",
            "first_channel",
        )
    } == {
        "user_id": None,
        "first_seen": at(0),
        "last_seen": at(0),
        "signup_at": None,
        "email": None,
        "sessions_count": 1,
        "lifetime_revenue": 0.0,
        "first_channel": "Direct",
    }


def test_a_user_seen_only_in_identify_calls_has_no_sessions(users):
    row = users["u-identify-only"]
    assert (row["email"], row["company_size"], row["sessions_count"], row["first_channel"]) == (
        "io@example.test",
        None,  # not a whole number
        0,
        None,
    )


def test_one_user_row_per_visitor(warehouse):
    users = [row[0] for row in warehouse.query("select visitor_id from marts.users")]
    visitors = {row[0] for row in warehouse.query("select visitor_id from marts.events")}
    assert sorted(users) == sorted(visitors)
    assert "anon-ann" not in users


# --- page_views and events -----------------------------------------------------------------------


PAGE_VIEW_COLUMNS = (
    "page_view_id",
    "user_id",
    "viewed_at",
    "view_type",
    "page_path",
    "page_name",
    "page_url",
    "page_title",
    "page_referrer",
    "page_search",
)


def test_page_views_lists_pages_and_screens_with_their_session(warehouse, sessions):
    first_session = sessions[("u-ann", 1)]["session_id"]
    rows = warehouse.query_dicts(
        "select * exclude (properties) from marts.page_views"
        " where visitor_id = 'u-ann' order by viewed_at"
    )
    assert [row["session_id"] for row in rows[:3]] == [first_session] * 3
    assert [{key: row[key] for key in PAGE_VIEW_COLUMNS} for row in rows] == [
        {
            "page_view_id": "ann-01",
            "user_id": "u-ann",
            "viewed_at": at(0),
            "view_type": "page",
            "page_path": "/landing",
            "page_name": "Landing",
            "page_url": "https://acme.test/landing",
            "page_title": "Welcome",
            "page_referrer": "https://www.google.co.uk/",
            "page_search": "?utm_source=google",
        },
        {
            "page_view_id": "ann-08",
            "user_id": "u-ann",
            "viewed_at": at(120),
            "view_type": "page",
            "page_path": "/pricing",
            "page_name": None,
            "page_url": None,
            "page_title": None,
            "page_referrer": None,
            "page_search": None,
        },
        {
            "page_view_id": "ann-14",
            "user_id": "u-ann",
            "viewed_at": at(300),
            "view_type": "screen",
            "page_path": "Checkout",
            "page_name": "Checkout",
            "page_url": None,
            "page_title": None,
            "page_referrer": None,
            "page_search": None,
        },
        {
            "page_view_id": "ann-16",
            "user_id": "u-ann",
            "viewed_at": at(DAY),
            "view_type": "page",
            "page_path": "/docs",
            "page_name": None,
            "page_url": None,
            "page_title": None,
            "page_referrer": None,
            "page_search": None,
        },
        {
            "page_view_id": "ann-20",
            "user_id": "u-ann",
            "viewed_at": at(4 * DAY),
            "view_type": "page",
            "page_path": "/account",
            "page_name": None,
            "page_url": None,
            "page_title": None,
            "page_referrer": "https://news.ycombinator.com/",
            "page_search": None,
        },
    ]


def test_events_lists_every_clean_event_once_with_visitor_and_session(warehouse, sessions):
    session_ids = {sessions[("u-ann", n)]["session_id"]: n for n in (1, 2, 3)}
    rows = warehouse.query(
        "select message_id, event_name, event_name_original, visitor_id, user_id, session_id"
        " from marts.events where anonymous_id = 'anon-ann' or user_id = 'u-ann'"
        " order by event_at, message_id"
    )
    assert [
        (message_id, name, original, visitor, user, session_ids.get(session))
        for message_id, name, original, visitor, user, session in rows
    ] == [
        ("ann-01", "page", "Landing", "u-ann", "u-ann", 1),
        ("ann-02", "rage_click", "Rage Click", "u-ann", "u-ann", 1),
        ("ann-03", "rage_click", "rage click", "u-ann", "u-ann", 1),
        ("ann-04", "dead_click", "Dead Click", "u-ann", "u-ann", 1),
        ("ann-05", "js_error", "JS Error", "u-ann", "u-ann", 1),
        ("ann-06", "quick_back", "Quick Back", "u-ann", "u-ann", 1),
        ("ann-07", "excessive_scroll", "Excessive Scroll", "u-ann", "u-ann", 1),
        ("ann-08", "page", None, "u-ann", "u-ann", 1),
        ("ann-09", "identify", None, "u-ann", "u-ann", None),
        ("ann-10", "signed_up", "Signed Up", "u-ann", "u-ann", 1),
        ("ann-11", "order_completed", "Order Completed", "u-ann", "u-ann", 1),
        ("ann-12", "order_completed", "order_completed", "u-ann", "u-ann", 1),
        ("ann-13", "order_completed", "Order Completed", "u-ann", "u-ann", 1),
        ("ann-14", "screen", "Checkout", "u-ann", "u-ann", 1),
        ("ann-15", "product_viewed", "Product Viewed", "u-ann", "u-ann", 1),
        ("ann-16", "page", None, "u-ann", "u-ann", 2),
        ("ann-17", "signed_up", "Signed Up", "u-ann", "u-ann", 2),
        ("ann-21", "identify", None, "u-ann", "u-ann", None),
        ("ann-18", "identify", None, "u-ann", "u-ann", None),
        ("ann-19", "identify", None, "u-ann", "u-ann", None),
        ("ann-20", "page", None, "u-ann", "u-ann", 3),
    ]


def test_events_carry_properties_and_traits_as_json(warehouse):
    rows = dict(
        warehouse.query(
            "select message_id, coalesce(properties, traits) from marts.events"
            " where message_id in ('ann-11', 'ann-19')"
        )
    )
    assert json.loads(rows["ann-11"]) == {"revenue": 49.5}
    assert json.loads(rows["ann-19"]) == {"name": "Ann Smith"}


def test_event_times_are_utc_timestamps(warehouse):
    assert warehouse.query(
        "select event_at, received_at from marts.events where message_id = 'ann-20'"
    ) == [(at(4 * DAY), at(4 * DAY + 1))]
