"""Every operator and condition type of the registry (docs/registry.md), compiled by segmart and
built by dbt on DuckDB, with exact members.

One throwaway project holds all the segments below and one warehouse holds every case's visitors;
it is built once. as_of is 2024-06-01T00:00:00 (AS_OF), so every window is exact.

Attribute cases are grouped: each group's sessions (or users) carry a marker (a utm_source or a
company trait) and the group's segments are `all: [marker, <condition tested>]`, so a case can
only see its own visitors. Behaviour cases use event names no other case sends.
Members read `<visitor>` (user grain) or `<visitor>#<session number>` (session grain).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pytest
from segments_support import (
    AS_OF,
    Events,
    SegmentProject,
    ago,
    campaign,
    funnel,
    later,
    members,
    scoped,
    segment,
)

from segmart.registry import CONDITION_TYPES, Members, OfAccount, iter_conditions, load_registry

# --- case groups: markers ------------------------------------------------------------------------

TEXT = {"attribute": "utm_source", "equals": "op-text", "case_sensitive": True}
NUM = {"attribute": "utm_source", "equals": "op-num", "case_sensitive": True}
USERS = {"attribute": "company", "equals": "op-user", "case_sensitive": True}
LISTED = {"attribute": "company", "equals": "op-list", "case_sensitive": True}
TIMES = {"performed": {"event": "b_tm_scope"}}
NOT_DONE = {"performed": {"event": "b_np_scope"}}
SESSIONS_MEASURED = {"performed": {"event": "chs_marker"}}


def campaign_filter(operator: str, value, **options) -> dict:
    return {"attribute": "utm_campaign", operator: value, **options}


@dataclass(frozen=True)
class Case:
    name: str
    where: dict
    expected: list[str]
    grain: str = "user"
    fields: dict = field(default_factory=dict)

    def entry(self) -> dict:
        return segment(self.name, self.where, grain=self.grain, **self.fields)


def text_case(name: str, condition: dict, expected: list[str]) -> Case:
    return Case(name, scoped(TEXT, condition), expected, grain="session")


def num_case(name: str, condition: dict, expected: list[str]) -> Case:
    return Case(name, scoped(NUM, condition), expected, grain="session")


def user_case(name: str, condition: dict, expected: list[str]) -> Case:
    return Case(name, scoped(USERS, condition), expected)


# --- text operators on sessions.utm_campaign -----------------------------------------------------
# t-spring "Spring-Sale", t-spring-lower "spring-sale", t-summer "summer-sale",
# t-winter "WINTER_promo", t-autumn "autumn", t-none: no campaign (null).

TEXT_CAMPAIGNS = {
    "t-spring": "Spring-Sale",
    "t-spring-lower": "spring-sale",
    "t-summer": "summer-sale",
    "t-winter": "WINTER_promo",
    "t-autumn": "autumn",
    "t-none": None,
}
ALL_TEXT = [f"{visitor}#1" for visitor in sorted(TEXT_CAMPAIGNS)]


def text_members(*visitors: str) -> list[str]:
    return sorted(f"{visitor}#1" for visitor in visitors)


TEXT_CASES = [
    # Case-insensitive by default: both spellings of spring-sale.
    text_case(
        "op_equals",
        campaign_filter("equals", "spring-sale"),
        text_members("t-spring", "t-spring-lower"),
    ),
    # The value is folded too.
    text_case(
        "op_equals_upper_value",
        campaign_filter("equals", "SPRING-SALE"),
        text_members("t-spring", "t-spring-lower"),
    ),
    text_case(
        "op_equals_case_sensitive",
        campaign_filter("equals", "spring-sale", case_sensitive=True),
        text_members("t-spring-lower"),
    ),
    # A list is OR.
    text_case(
        "op_equals_list",
        campaign_filter("equals", ["spring-sale", "autumn"]),
        text_members("t-spring", "t-spring-lower", "t-autumn"),
    ),
    # not_equals keeps the session without a campaign (null).
    text_case(
        "op_not_equals",
        campaign_filter("not_equals", "spring-sale"),
        text_members("t-summer", "t-winter", "t-autumn", "t-none"),
    ),
    text_case(
        "op_not_equals_list",
        campaign_filter("not_equals", ["spring-sale", "autumn"]),
        text_members("t-summer", "t-winter", "t-none"),
    ),
    text_case(
        "op_not_equals_case_sensitive",
        campaign_filter("not_equals", "spring-sale", case_sensitive=True),
        text_members("t-spring", "t-summer", "t-winter", "t-autumn", "t-none"),
    ),
    text_case(
        "op_in",
        campaign_filter("in", ["SUMMER-SALE", "winter_promo"]),
        text_members("t-summer", "t-winter"),
    ),
    # WINTER_promo is not winter_promo when case matters.
    text_case(
        "op_in_case_sensitive",
        campaign_filter("in", ["summer-sale", "winter_promo"], case_sensitive=True),
        text_members("t-summer"),
    ),
    text_case(
        "op_not_in",
        campaign_filter("not_in", ["summer-sale", "winter_promo"]),
        text_members("t-spring", "t-spring-lower", "t-autumn", "t-none"),
    ),
    text_case(
        "op_contains",
        campaign_filter("contains", "SALE"),
        text_members("t-spring", "t-spring-lower", "t-summer"),
    ),
    text_case(
        "op_contains_case_sensitive",
        campaign_filter("contains", "Sale", case_sensitive=True),
        text_members("t-spring"),
    ),
    text_case(
        "op_contains_list",
        campaign_filter("contains", ["promo", "tum"]),
        text_members("t-winter", "t-autumn"),
    ),
    text_case(
        "op_starts_with",
        campaign_filter("starts_with", "s"),
        text_members("t-spring", "t-spring-lower", "t-summer"),
    ),
    text_case(
        "op_starts_with_case_sensitive",
        campaign_filter("starts_with", "S", case_sensitive=True),
        text_members("t-spring"),
    ),
    text_case("op_ends_with", campaign_filter("ends_with", "_PROMO"), text_members("t-winter")),
    text_case(
        "op_ends_with_list",
        campaign_filter("ends_with", ["-sale", "mn"]),
        text_members("t-spring", "t-spring-lower", "t-summer", "t-autumn"),
    ),
    text_case(
        "op_regex",
        campaign_filter("regex", "^s(pring|ummer)-"),
        text_members("t-spring", "t-spring-lower", "t-summer"),
    ),
    text_case(
        "op_regex_case_sensitive",
        campaign_filter("regex", "^[a-z]+-sale$", case_sensitive=True),
        text_members("t-spring-lower", "t-summer"),
    ),
    # Matched anywhere in the value, case-insensitively.
    text_case("op_regex_anywhere", campaign_filter("regex", "R_P"), text_members("t-winter")),
    text_case(
        "op_is_set",
        campaign_filter("is_set", True),
        text_members("t-spring", "t-spring-lower", "t-summer", "t-winter", "t-autumn"),
    ),
    text_case("op_is_not_set", campaign_filter("is_not_set", True), text_members("t-none")),
    # `not` of a filter on a null column holds: t-none has no campaign, so it does not contain
    # "sale".
    text_case(
        "op_not",
        {"not": campaign_filter("contains", "sale")},
        text_members("t-winter", "t-autumn", "t-none"),
    ),
    text_case(
        "op_any",
        {"any": [campaign_filter("equals", "autumn"), campaign_filter("ends_with", "promo")]},
        text_members("t-autumn", "t-winter"),
    ),
    # any(not contains sale -> winter, autumn, none; exact spring-sale -> spring-lower) and
    # not(is_not_set) -> drops none.
    text_case(
        "op_nested",
        {
            "all": [
                {
                    "any": [
                        {"not": campaign_filter("contains", "sale")},
                        campaign_filter("equals", "spring-sale", case_sensitive=True),
                    ]
                },
                {"not": campaign_filter("is_not_set", True)},
            ]
        },
        text_members("t-winter", "t-autumn", "t-spring-lower"),
    ),
    # Without a marker: only the two spring-sale sessions in the whole warehouse.
    Case(
        "op_unscoped_equals",
        campaign_filter("equals", "spring-sale"),
        text_members("t-spring", "t-spring-lower"),
        grain="session",
    ),
]


def text_events(events: Events) -> None:
    for visitor, name in TEXT_CAMPAIGNS.items():
        utm = {"source": "op-text"} | ({"name": name} if name else {})
        events.page(visitor, ago(days=2), context=campaign(**utm))


# --- numbers, booleans, timestamps on sessions; user.<column> at session grain -------------------
# n-1: 1 page, 0 s, started 2024-05-31 00:00 (24 h ago)
# n-2: 2 pages, 60 s, started 2024-05-30 00:00 (exactly 48 h ago)
# n-3: 3 pages, 120 s, started 2024-05-29 12:00 (60 h ago); plan "Pro", mrr 50
# n-5: 5 pages, 240 s, started 2024-05-27 00:00; plan "free", mrr 200.5
# n-two: session 1 (1 page) on 2024-05-22, session 2 (1 page, not a first visit) 1 h ago


def num_events(events: Events) -> None:
    context = campaign(source="op-num")
    starts = {"n-1": ago(days=1), "n-2": ago(hours=48), "n-3": ago(hours=60), "n-5": ago(days=5)}
    for visitor, start in starts.items():
        pages = int(visitor.split("-")[1])
        for number in range(pages):
            events.page(visitor, later(start, minutes=number), context=context)
    events.page("n-two", ago(days=10), context=context)
    events.page("n-two", ago(hours=1), context=context)
    events.identify("n-3", ago(hours=60), plan="Pro", mrr=50)
    events.identify("n-5", ago(days=5), plan="free", mrr=200.5)


NUM_CASES = [
    num_case("op_gt", {"attribute": "page_count", "gt": 2}, ["n-3#1", "n-5#1"]),
    num_case("op_gte", {"attribute": "page_count", "gte": 2}, ["n-2#1", "n-3#1", "n-5#1"]),
    num_case("op_lt", {"attribute": "duration_seconds", "lt": 60}, ["n-1#1", "n-two#1", "n-two#2"]),
    num_case(
        "op_lte",
        {"attribute": "duration_seconds", "lte": 60},
        ["n-1#1", "n-2#1", "n-two#1", "n-two#2"],
    ),
    # Inclusive on both ends.
    num_case("op_between", {"attribute": "page_count", "between": [2, 3]}, ["n-2#1", "n-3#1"]),
    num_case(
        "op_between_float",
        {"attribute": "duration_seconds", "between": [60.0, 120.5]},
        ["n-2#1", "n-3#1"],
    ),
    num_case("op_equals_number", {"attribute": "page_count", "equals": 3}, ["n-3#1"]),
    num_case(
        "op_equals_number_list",
        {"attribute": "page_count", "equals": [1, 5]},
        ["n-1#1", "n-5#1", "n-two#1", "n-two#2"],
    ),
    num_case(
        "op_not_equals_number",
        {"attribute": "page_count", "not_equals": 1},
        ["n-2#1", "n-3#1", "n-5#1"],
    ),
    num_case(
        "op_bool_true",
        {"attribute": "is_first_visit", "equals": True},
        ["n-1#1", "n-2#1", "n-3#1", "n-5#1", "n-two#1"],
    ),
    num_case("op_bool_false", {"attribute": "is_first_visit", "equals": False}, ["n-two#2"]),
    # Relative times: as_of - 48 h is 2024-05-30 00:00, n-2's exact start.
    num_case(
        "op_ts_gt_relative",
        {"attribute": "session_start", "gt": {"hours_ago": 48}},
        ["n-1#1", "n-two#2"],
    ),
    num_case(
        "op_ts_gte_relative",
        {"attribute": "session_start", "gte": {"hours_ago": 48}},
        ["n-1#1", "n-2#1", "n-two#2"],
    ),
    num_case(
        "op_ts_lt_relative_days",
        {"attribute": "session_start", "lt": {"days_ago": 2}},
        ["n-3#1", "n-5#1", "n-two#1"],
    ),
    num_case(
        "op_ts_gte_date",
        {"attribute": "session_start", "gte": date(2024, 5, 30)},
        ["n-1#1", "n-2#1", "n-two#2"],
    ),
    num_case(
        "op_ts_between",
        {
            "attribute": "session_start",
            "between": [datetime(2024, 5, 29, 12, 0), datetime(2024, 5, 30)],
        },
        ["n-2#1", "n-3#1"],
    ),
    num_case(
        "op_ts_equals", {"attribute": "session_start", "equals": datetime(2024, 5, 30)}, ["n-2#1"]
    ),
    # The session's visitor's users columns.
    num_case("op_user_plan", {"attribute": "user.plan", "equals": "PRO"}, ["n-3#1"]),
    num_case("op_user_mrr", {"attribute": "user.mrr", "gt": 100}, ["n-5#1"]),
    num_case(
        "op_user_plan_not_set",
        {"attribute": "user.plan", "is_not_set": True},
        ["n-1#1", "n-2#1", "n-two#1", "n-two#2"],
    ),
]


# --- user-grain columns --------------------------------------------------------------------------
# u-early signed up 72 h ago (company_size 50, an email); u-recent 24 h ago (company_size "many",
# not a whole number); u-none never signed up.


def user_events(events: Events) -> None:
    events.identify(
        "u-early",
        ago(hours=80),
        user=True,
        company="op-user",
        company_size=50,
        email="Early@Example.com",
    )
    events.identify("u-recent", ago(hours=30), user=True, company="op-user", company_size="many")
    events.identify("u-none", ago(hours=30), user=True, company="op-user")
    for visitor in ("u-early", "u-recent", "u-none"):
        events.page(visitor, ago(hours=80 if visitor == "u-early" else 30), user=True)
    events.track("u-early", "Signed Up", ago(hours=72), user=True)
    events.track("u-recent", "Signed Up", ago(hours=24), user=True)


USER_CASES = [
    user_case(
        "op_signup_relative", {"attribute": "signup_at", "lt": {"hours_ago": 48}}, ["u-early"]
    ),
    user_case("op_signup_not_set", {"attribute": "signup_at", "is_not_set": True}, ["u-none"]),
    user_case("op_signup_set", {"attribute": "signup_at", "is_set": True}, ["u-early", "u-recent"]),
    user_case("op_company_size_set", {"attribute": "company_size", "is_set": True}, ["u-early"]),
    user_case(
        "op_email_ends_with", {"attribute": "email", "ends_with": "@example.com"}, ["u-early"]
    ),
    user_case(
        "op_json_is_set",
        {"attribute": "latest_traits", "is_set": True},
        ["u-early", "u-none", "u-recent"],
    ),
]


# --- performed: event property filters -----------------------------------------------------------


def purchase_events(events: Events) -> None:
    when = ago(days=1)
    events.track(
        "p-big", "b_purchase", when, revenue=150, currency="EUR", item={"sku": "A-1"}, gift=True
    )
    events.track(
        "p-small", "b_purchase", when, revenue=20, currency="usd", item={"sku": "B-2"}, gift=False
    )
    events.track("p-bad", "b_purchase", when, revenue="lots", currency="EUR")
    events.track("p-float", "b_purchase", when, revenue=99.5, currency="eur")
    # Page fields: path, title, url, referrer are columns of page views.
    events.page("pg-docs", when, path="/bh-docs/start", title="Getting Started Guide")
    events.page(
        "pg-intro",
        when,
        path="/bh-docs/start",
        title="Intro",
        url="https://example.test/bh-docs/start?src=mail",
    )
    events.page(
        "pg-other", when, path="/bh-docs/other", title="Guide", referrer="https://bh-ref.test/a"
    )


def purchased(*where: dict) -> dict:
    return {"performed": {"event": "b_purchase", "where": list(where)}}


def viewed(*where: dict) -> dict:
    return {"performed": {"event": "page", "where": list(where)}}


PROPERTY_CASES = [
    Case("bh_prop_gte", purchased({"property": "revenue", "gte": 100}), ["p-big"]),
    Case(
        "bh_prop_between",
        purchased({"property": "revenue", "between": [20, 99.5]}),
        ["p-float", "p-small"],
    ),
    # "lots" is no number: not less than 100.
    Case("bh_prop_lt", purchased({"property": "revenue", "lt": 100}), ["p-float", "p-small"]),
    Case(
        "bh_prop_text",
        purchased({"property": "currency", "equals": "EUR"}),
        ["p-bad", "p-big", "p-float"],
    ),
    Case(
        "bh_prop_text_case_sensitive",
        purchased({"property": "currency", "equals": "EUR", "case_sensitive": True}),
        ["p-bad", "p-big"],
    ),
    Case(
        "bh_prop_not_equals",
        purchased({"property": "currency", "not_equals": "usd"}),
        ["p-bad", "p-big", "p-float"],
    ),
    Case("bh_prop_path", purchased({"property": "item.sku", "starts_with": "a-"}), ["p-big"]),
    Case(
        "bh_prop_regex",
        purchased({"property": "item.sku", "regex": "^[ab]-[0-9]$"}),
        ["p-big", "p-small"],
    ),
    Case(
        "bh_prop_not_set",
        purchased({"property": "item.sku", "is_not_set": True}),
        ["p-bad", "p-float"],
    ),
    Case("bh_prop_bool", purchased({"property": "gift", "equals": True}), ["p-big"]),
    Case(
        "bh_prop_and",
        purchased({"property": "currency", "equals": "eur"}, {"property": "revenue", "gt": 100}),
        ["p-big"],
    ),
    Case(
        "bh_page",
        viewed(
            {"property": "path", "equals": "/bh-docs/start"},
            {"property": "title", "contains": "guide"},
        ),
        ["pg-docs"],
    ),
    Case(
        "bh_page_prefix",
        viewed({"property": "path", "starts_with": "/bh-docs/"}),
        ["pg-docs", "pg-intro", "pg-other"],
    ),
    Case("bh_page_url", viewed({"property": "url", "ends_with": "?src=mail"}), ["pg-intro"]),
    Case(
        "bh_page_referrer",
        viewed({"property": "referrer", "contains": "bh-ref.test"}),
        ["pg-other"],
    ),
    Case("bh_page_regex", viewed({"property": "path", "regex": "/OTHER$"}), ["pg-other"]),
    # A declared type: "lots" as text, revenue as a number whatever the JSON holds.
    Case(
        "bh_prop_typed_text",
        purchased({"property": "revenue", "type": "text", "equals": "lots"}),
        ["p-bad"],
    ),
    Case(
        "bh_prop_typed_number_set",
        purchased({"property": "revenue", "type": "number", "is_set": True}),
        ["p-big", "p-float", "p-small"],
    ),
]


# --- any trait: the latest value, and the value at an event ---------------------------------------
# Identify calls (company "op-trait" marks the group). tr-a: role "Data", seats 12, beta, renewal
# 2024-07-01, address.city Lisbon. tr-b: role engineering then data (2 days ago), seats "3" (text).
# tr-c: role data, then sales after as_of (not yet). tr-d: no role. tr-e: role "". tr-f: seats
# "many" (no number).
TRAITS = {"attribute": "company", "equals": "op-trait", "case_sensitive": True}


def trait_events(events: Events) -> None:
    first = ago(days=10)
    for visitor, traits in {
        "tr-a": {
            "role": "Data",
            "seats": 12,
            "beta": True,
            "renewal": "2024-07-01",
            "address": {"city": "Lisbon"},
        },
        "tr-b": {"role": "engineering", "seats": "3"},
        "tr-c": {"role": "data"},
        "tr-d": {},
        "tr-e": {"role": ""},
        "tr-f": {"seats": "many"},
    }.items():
        events.identify(visitor, first, user=True, company="op-trait", **traits)
        events.page(visitor, later(first, minutes=1), user=True)
    events.identify("tr-b", ago(days=2), user=True, role="data")
    events.identify("tr-c", later(AS_OF, hours=1), user=True, role="sales")


def trait_case(name: str, condition: dict, expected: list[str]) -> Case:
    return Case(name, scoped(TRAITS, condition), expected)


NO_ROLE = ["tr-d", "tr-e", "tr-f"]
TRAIT_CASES = [
    # Latest value at as_of, case-insensitive: tr-b's second call counts, tr-c's later one not.
    trait_case("tr_equals", {"trait": "role", "equals": "data"}, ["tr-a", "tr-b", "tr-c"]),
    trait_case(
        "tr_case_sensitive",
        {"trait": "role", "equals": "data", "case_sensitive": True},
        ["tr-b", "tr-c"],
    ),
    # Missing and empty values are "not data", as for a users column.
    trait_case("tr_not_equals", {"trait": "role", "not_equals": "data"}, NO_ROLE),
    trait_case("tr_not_set", {"trait": "role", "is_not_set": True}, NO_ROLE),
    trait_case("tr_not", {"not": {"trait": "role", "equals": "data"}}, NO_ROLE),
    # Numbers compare as numbers ("3" converts, "many" does not).
    trait_case("tr_number", {"trait": "seats", "gt": 5}, ["tr-a"]),
    trait_case("tr_number_typed", {"trait": "seats", "type": "number", "lte": 3}, ["tr-b"]),
    trait_case("tr_text_typed", {"trait": "seats", "type": "text", "equals": "12"}, ["tr-a"]),
    trait_case("tr_boolean", {"trait": "beta", "equals": True}, ["tr-a"]),
    trait_case("tr_timestamp", {"trait": "renewal", "gte": date(2024, 6, 15)}, ["tr-a"]),
    trait_case("tr_path", {"trait": "address.city", "equals": "lisbon"}, ["tr-a"]),
    # Session grain: the session's visitor's latest value.
    Case(
        "tr_session",
        scoped(
            {"attribute": "user.company", "equals": "op-trait", "case_sensitive": True},
            {"trait": "role", "equals": "data"},
        ),
        ["tr-a#1", "tr-b#1", "tr-c#1"],
        grain="session",
    ),
]


# tr-g: plan free, tr_order 15 days ago, pro from 10 days ago, tr_order 5 days ago. tr-h: pro,
# tr_order 15 days ago, free from 10 days ago. tr-i: tr_order 15 days ago, pro only after.
def trait_at_event_events(events: Events) -> None:
    events.identify("tr-g", ago(days=20), user=True, plan="free")
    events.identify("tr-h", ago(days=20), user=True, plan="pro")
    for visitor in ("tr-g", "tr-h", "tr-i"):
        events.track(visitor, "tr_order", ago(days=15), user=True)
    events.identify("tr-g", ago(days=10), user=True, plan="pro")
    events.identify("tr-h", ago(days=10), user=True, plan="free")
    events.identify("tr-i", ago(days=10), user=True, plan="pro")
    events.track("tr-g", "tr_order", ago(days=5), user=True)


def ordered(*where: dict, **options) -> dict:
    return {"performed": {"event": "tr_order", "where": list(where), **options}}


ON_PRO = {"trait": "plan", "equals": "pro"}
TRAIT_AT_EVENT_CASES = [
    # The plan when the order happened, not the latest one: tr-h is free now, tr-i was not yet.
    Case("tr_event_pro", ordered(ON_PRO), ["tr-g", "tr-h"]),
    Case("tr_event_pro_recent", ordered(ON_PRO, window={"last_days": 7}), ["tr-g"]),
    Case("tr_event_no_plan", ordered({"trait": "plan", "is_not_set": True}), ["tr-i"]),
    Case(
        "tr_event_twice_pro",
        ordered(ON_PRO, times={"at_least": 2}),
        [],
    ),
    Case(
        "tr_event_not_on_pro",
        {
            "all": [
                {"performed": {"event": "tr_order"}},
                {"not_performed": {"event": "tr_order", "where": [ON_PRO]}},
            ]
        },
        ["tr-i"],
    ),
    Case(
        "tr_event_sequence",
        {
            "sequence": {
                "steps": [
                    {"event": "tr_order", "where": [{"trait": "plan", "equals": "free"}]},
                    {"event": "tr_order", "where": [ON_PRO]},
                ]
            }
        },
        ["tr-g"],
    ),
]


# --- performed: times ----------------------------------------------------------------------------
# Logins: tm-0 none, tm-1 one (2 days ago), tm-2 two (2 days and 2 hours ago), tm-3 three in the
# last 3 hours plus one after as_of (never counted). All four send the marker b_tm_scope.


def times_events(events: Events) -> None:
    logins = {
        "tm-0": [],
        "tm-1": [ago(days=2)],
        "tm-2": [ago(days=2), ago(hours=2)],
        "tm-3": [ago(hours=3), ago(hours=2), ago(hours=1), later(AS_OF, days=1)],
    }
    for visitor, moments in logins.items():
        events.track(visitor, "b_tm_scope", ago(days=3))
        for moment in moments:
            events.track(visitor, "b_login", moment)


def logins(times: dict, **options) -> dict:
    return {"performed": {"event": "b_login", "times": times, **options}}


TIMES_CASES = [
    Case("bh_times_at_least_2", logins({"at_least": 2}), ["tm-2", "tm-3"]),
    # at_most and exactly 0 include visitors who never logged in: scoped to the four.
    Case("bh_times_at_most_1", scoped(TIMES, logins({"at_most": 1})), ["tm-0", "tm-1"]),
    Case("bh_times_at_most_0", scoped(TIMES, logins({"at_most": 0})), ["tm-0"]),
    Case("bh_times_exactly_0", scoped(TIMES, logins({"exactly": 0})), ["tm-0"]),
    Case("bh_times_exactly_2", logins({"exactly": 2}), ["tm-2"]),
    # The login after as_of does not count.
    Case("bh_times_exactly_3", logins({"exactly": 3}), ["tm-3"]),
    Case("bh_times_in_window", logins({"at_least": 2}, window={"last_days": 1}), ["tm-3"]),
]


# --- performed: windows --------------------------------------------------------------------------
# One b_visit each: w-in 2024-05-25 01:00 (6 d 23 h ago), w-edge exactly 7 days ago, w-asof at
# as_of, w-future 1 h after as_of, w-old 2024-05-02 00:00, w-hours 5 h ago, w-hour-edge exactly
# 6 h ago (2024-05-31 18:00).

VISITS = {
    "w-in": ago(days=6, hours=23),
    "w-edge": ago(days=7),
    "w-asof": AS_OF,
    "w-future": later(AS_OF, hours=1),
    "w-old": ago(days=30),
    "w-hours": ago(hours=5),
    "w-hour-edge": ago(hours=6),
}


def window_events(events: Events) -> None:
    for visitor, moment in VISITS.items():
        events.track(visitor, "b_visit", moment)


def visited(window: dict | None) -> dict:
    return {"performed": {"event": "b_visit"} | ({"window": window} if window else {})}


def activation_events(events: Events) -> None:
    signup = ago(days=10)
    for visitor, activated in {
        "a-fast": later(signup, hours=2),
        "a-edge": later(signup, hours=24),
        "a-slow": later(signup, hours=30),
        "a-before": later(signup, days=-1),
    }.items():
        events.track(visitor, "Signed Up", signup)
        events.track(visitor, "b_activate", activated)
    # The anchor is the visitor's FIRST signed_up.
    events.track("a-first-anchor", "Signed Up", signup)
    events.track("a-first-anchor", "Signed Up", ago(days=5))
    events.track("a-first-anchor", "b_activate", ago(days=5, hours=-1))
    events.track("a-no-signup", "b_activate", ago(days=3))


WINDOW_CASES = [
    # Without a window, everything up to as_of (not w-future).
    Case(
        "bh_window_none",
        visited(None),
        ["w-asof", "w-edge", "w-hour-edge", "w-hours", "w-in", "w-old"],
    ),
    # (as_of - 7 days, as_of]: exactly 7 days ago is out, as_of is in.
    Case(
        "bh_window_last_days",
        visited({"last_days": 7}),
        ["w-asof", "w-hour-edge", "w-hours", "w-in"],
    ),
    Case("bh_window_last_hours", visited({"last_hours": 6}), ["w-asof", "w-hours"]),
    # A date end includes its whole day: 2024-05-25 01:00 is in.
    Case(
        "bh_window_between_dates",
        visited({"between": [date(2024, 5, 2), date(2024, 5, 25)]}),
        ["w-edge", "w-in", "w-old"],
    ),
    Case(
        "bh_window_between_timestamps",
        visited({"between": [datetime(2024, 5, 25), datetime(2024, 5, 31, 18, 0)]}),
        ["w-edge", "w-hour-edge", "w-in"],
    ),
    # Windows still end at as_of.
    Case(
        "bh_window_between_past_as_of",
        visited({"between": [date(2024, 5, 31), date(2024, 6, 30)]}),
        ["w-asof", "w-hour-edge", "w-hours"],
    ),
    # Within 24 h after the first signed_up, inclusive.
    Case(
        "bh_within_hours_after",
        {
            "performed": {
                "event": "b_activate",
                "window": {"within_hours_after": "Signed Up", "hours": 24},
            }
        },
        ["a-edge", "a-fast"],
    ),
]


# --- time zones: a date is a day where the segment is --------------------------------------------
# One b_tz each (UTC): z-late 2024-05-09 23:30, z-early 2024-05-10 02:30, z-mid 2024-05-10 12:00.
# 2024-05-10 is [05-10 00:00, 05-11 00:00) UTC, [05-10 03:00, 05-11 03:00) in Sao Paulo (UTC-3),
# [05-09 15:00, 05-10 15:00) in Tokyo (UTC+9).

TZ_EVENTS = {
    "z-late": datetime(2024, 5, 9, 23, 30),
    "z-early": datetime(2024, 5, 10, 2, 30),
    "z-mid": datetime(2024, 5, 10, 12, 0),
}


def time_zone_events(events: Events) -> None:
    for visitor, moment in TZ_EVENTS.items():
        events.track(visitor, "b_tz", moment, user=True)


def on_may_10(zone: str | None) -> dict:
    return {"time_zone": zone} if zone else {}


TZ_WINDOW = {"performed": {"event": "b_tz", "window": {"between": ["2024-05-10", "2024-05-10"]}}}
TZ_FIRST_SEEN = {
    "all": [
        {"performed": {"event": "b_tz"}},
        {"attribute": "first_seen", "gte": date(2024, 5, 10)},
    ]
}
TIME_ZONE_CASES = [
    Case("tz_utc", TZ_WINDOW, ["z-early", "z-mid"]),
    Case("tz_sao_paulo", TZ_WINDOW, ["z-mid"], fields=on_may_10("America/Sao_Paulo")),
    Case("tz_tokyo", TZ_WINDOW, ["z-early", "z-late", "z-mid"], fields=on_may_10("Asia/Tokyo")),
    # Dates compared with a timestamp column start at midnight there; timestamps stay UTC.
    Case("tz_attribute_utc", TZ_FIRST_SEEN, ["z-early", "z-mid"]),
    # A date as an upper end is the whole day; "after" a day starts the next day.
    Case(
        "tz_attribute_lte_day",
        {
            "all": [
                {"performed": {"event": "b_tz"}},
                {"attribute": "first_seen", "lte": date(2024, 5, 9)},
            ]
        },
        ["z-late"],
    ),
    Case(
        "tz_attribute_gt_day",
        {
            "all": [
                {"performed": {"event": "b_tz"}},
                {"attribute": "first_seen", "gt": date(2024, 5, 9)},
            ]
        },
        ["z-early", "z-mid"],
    ),
    Case(
        "tz_attribute_between_days",
        {
            "all": [
                {"performed": {"event": "b_tz"}},
                {"attribute": "first_seen", "between": [date(2024, 5, 9), date(2024, 5, 9)]},
            ]
        },
        ["z-late"],
    ),
    Case(
        "tz_attribute_tokyo",
        TZ_FIRST_SEEN,
        ["z-early", "z-late", "z-mid"],
        fields=on_may_10("Asia/Tokyo"),
    ),
]


# --- windows relative to another event: before / after / around, first / last / every -----------
# b_cancel anchors, b_buy events (days ago; "-4.9" is 5 days ago plus 2 hours):
#   r-a: buy 20, cancel 15, buy 10, cancel 5, buy 5 d - 2 h      r-b: buy 3, cancel 1
#   r-c: buy 9, cancel 1                                          r-d: cancel 2, buy 1
#   r-e: buy 2, cancel 1 h after as_of (not yet: no anchor)      r-f: cancel 6, buy 6 d - 4 h,
#                                                                      cancel 3

ANCHORED = {
    "r-a": [
        ("b_buy", ago(days=20)),
        ("b_cancel", ago(days=15)),
        ("b_buy", ago(days=10)),
        ("b_cancel", ago(days=5)),
        ("b_buy", ago(days=4, hours=22)),
    ],
    "r-b": [("b_buy", ago(days=3)), ("b_cancel", ago(days=1))],
    "r-c": [("b_buy", ago(days=9)), ("b_cancel", ago(days=1))],
    "r-d": [("b_cancel", ago(days=2)), ("b_buy", ago(days=1))],
    "r-e": [("b_buy", ago(days=2)), ("b_cancel", later(AS_OF, hours=1))],
    "r-f": [("b_cancel", ago(days=6)), ("b_buy", ago(days=5, hours=20)), ("b_cancel", ago(days=3))],
}


def anchored_events(events: Events) -> None:
    for visitor, moments in ANCHORED.items():
        for event, moment in moments:
            events.track(visitor, event, moment)


def bought(occurrence: str, **direction) -> dict:
    window = {"relative_to": "b_cancel", "occurrence": occurrence, **direction}
    return {"performed": {"event": "b_buy", "window": window}}


ANCHORED_CASES = [
    # "Bought within 7 days before cancelling" (the first cancel; a later anchor is not yet).
    Case("rw_before_first", bought("first", before={"days": 7}), ["r-a", "r-b"]),
    Case("rw_after_first", bought("first", after={"days": 1}), ["r-d", "r-f"]),
    Case("rw_after_last", bought("last", after={"days": 1}), ["r-a", "r-d"]),
    Case("rw_after_every", bought("every", after={"days": 1}), ["r-a", "r-d", "r-f"]),
    # Inclusive on both sides: r-b's buy is exactly 2 days before, r-d's 1 day after.
    Case("rw_around_first", bought("first", around={"days": 2}), ["r-b", "r-d", "r-f"]),
    Case("rw_around_hours", bought("first", around={"hours": 12}), ["r-f"]),
    # An event near two anchors counts once: r-a's three buys are each within 10 days of one.
    Case(
        "rw_every_counts_events_once",
        {
            "performed": {
                "event": "b_buy",
                "times": {"exactly": 3},
                "window": {
                    "relative_to": "b_cancel",
                    "occurrence": "every",
                    "around": {"days": 10},
                },
            }
        },
        ["r-a"],
    ),
]


# --- sequences: time between steps ----------------------------------------------------------------
# sq_cart 3 days ago, then sq_checkout: q-fast 20 min later, q-edge 30 min, q-slow 40 min. q-fast
# also sent sq_signal an hour before its cart.


def step_time_events(events: Events) -> None:
    cart = ago(days=3)
    for visitor, minutes in {"q-fast": 20, "q-edge": 30, "q-slow": 40}.items():
        events.track(visitor, "sq_cart", cart)
        events.track(visitor, "sq_checkout", later(cart, minutes=minutes))
    events.track("q-fast", "sq_signal", later(cart, hours=-1))
    # q-recent carted 10 minutes before as_of: whether it checks out within 30 is not known yet.
    events.track("q-recent", "sq_cart", ago(minutes=10))


def carted(*steps: dict, **options) -> dict:
    return {"sequence": {"steps": [{"event": "sq_cart"}, *steps], **options}}


STEP_TIME_CASES = [
    Case(
        "sq_step_within",
        carted({"event": "sq_checkout", "within": {"minutes": 30}}),
        ["q-edge", "q-fast"],
    ),
    Case("sq_within_minutes", carted({"event": "sq_checkout"}, within={"minutes": 25}), ["q-fast"]),
    # A step's own limit wins over the sequence's.
    Case(
        "sq_step_overrides",
        carted({"event": "sq_checkout", "within": {"minutes": 25}}, within={"hours": 1}),
        ["q-fast"],
    ),
    # "Carted, then no checkout within 30 minutes" (q-recent: not yet decided, so not a member).
    Case("sq_not_within", carted({"not": "sq_checkout", "within": {"minutes": 30}}), ["q-slow"]),
    # A sequence's window can be anchored too (its first step within a day after sq_signal).
    Case(
        "sq_anchored_window",
        carted({"event": "sq_checkout"}, window={"relative_to": "sq_signal", "after": {"days": 1}}),
        ["q-fast"],
    ),
]


# --- same_session at session grain; not_performed ------------------------------------------------
# ss-v: session 1 page + b_cart, session 2 page. ss-x: session 1 b_cart + b_checkout, session 2
# b_cart. ss-y: a page only.


def session_behaviour_events(events: Events) -> None:
    first, second = ago(days=3), ago(days=1)
    events.page("ss-v", first)
    events.track("ss-v", "b_cart", later(first, minutes=1))
    events.page("ss-v", second)
    events.track("ss-x", "b_cart", first)
    events.track("ss-x", "b_checkout", later(first, minutes=1))
    events.track("ss-x", "b_cart", second)
    events.page("ss-y", ago(days=2))

    # not_performed: every visitor sends the marker b_np_scope.
    for visitor in ("np-never", "np-old", "np-recent", "np-price", "np-bug"):
        events.track(visitor, "b_np_scope", ago(days=30))
    events.track("np-old", "b_cancel", ago(days=20))
    events.track("np-recent", "b_cancel", ago(days=2))
    events.track("np-price", "b_cancel", ago(days=1), reason="price")
    events.track("np-bug", "b_cancel", ago(days=1), reason="Bug")


def carted(**options) -> dict:
    return {"performed": {"event": "b_cart", **options}}


SESSION_BEHAVIOUR_CASES = [
    # Default at session grain: within the member session.
    Case("bh_same_session", carted(), ["ss-v#1", "ss-x#1", "ss-x#2"], grain="session"),
    Case(
        "bh_same_session_true",
        carted(same_session=True),
        ["ss-v#1", "ss-x#1", "ss-x#2"],
        grain="session",
    ),
    # same_session false: about the session's visitor, so all of their sessions.
    Case(
        "bh_same_session_false",
        carted(same_session=False),
        ["ss-v#1", "ss-v#2", "ss-x#1", "ss-x#2"],
        grain="session",
    ),
    Case(
        "bh_cart_no_checkout",
        {"all": [carted(), {"not_performed": {"event": "b_checkout"}}]},
        ["ss-v#1", "ss-x#2"],
        grain="session",
    ),
    Case(
        "bh_not_performed",
        scoped(NOT_DONE, {"not_performed": {"event": "b_cancel"}}),
        ["np-never"],
    ),
    Case(
        "bh_not_performed_window",
        scoped(NOT_DONE, {"not_performed": {"event": "b_cancel", "window": {"last_days": 7}}}),
        ["np-never", "np-old"],
    ),
    Case(
        "bh_not_performed_where",
        scoped(
            NOT_DONE,
            {
                "not_performed": {
                    "event": "b_cancel",
                    "where": [{"property": "reason", "equals": "bug"}],
                }
            },
        ),
        ["np-never", "np-old", "np-price", "np-recent"],
    ),
]


# --- sequences -----------------------------------------------------------------------------------


def sequence_events(events: Events) -> None:
    def steps(visitor: str, *timed: tuple[str, object], **options) -> None:
        for name, moment in timed:
            events.track(visitor, name, moment, **options)

    day1, day2 = ago(days=1), ago(days=2)
    steps("sq-ok", ("sq_a", day1), ("sq_b", later(day1, minutes=10)))
    steps("sq-rev", ("sq_b", day1), ("sq_a", later(day1, minutes=10)))
    split = ago(days=3, hours=1)
    steps("sq-split", ("sq_a", split), ("sq_b", later(split, hours=2)))  # two sessions
    steps("sq-a-only", ("sq_a", day2))
    steps("sq-late", ("sq_a", ago(days=5)), ("sq_b", day1))
    brazil = ago(days=4)
    steps(
        "sq-br",
        ("sq_a", brazil),
        ("sq_b", later(brazil, minutes=5)),
        context={"location": {"country": "BR"}},
    )
    events.track("sq-prop", "sq_a", day2, plan="Pro")
    events.track("sq-prop", "sq_b", later(day2, minutes=5))
    steps("sq-old", ("sq_a", ago(days=10)), ("sq_b", ago(days=10, minutes=-5)))
    steps(
        "sq-3",
        ("sq_a", day1),
        ("sq_b", later(day1, minutes=1)),
        ("sq_c", later(day1, minutes=2)),
    )
    steps(
        "sq-3-wrong",
        ("sq_a", day1),
        ("sq_c", later(day1, minutes=1)),
        ("sq_b", later(day1, minutes=2)),
    )


def sequence(*steps, **options) -> dict:
    return {"sequence": {"steps": list(steps), **options}}


A, B, C, NOT_B = {"event": "sq_a"}, {"event": "sq_b"}, {"event": "sq_c"}, {"not": "sq_b"}
A_THEN_B_IN_A_SESSION = ["sq-3", "sq-3-wrong", "sq-br", "sq-ok", "sq-old", "sq-prop"]

SEQUENCE_CASES = [
    Case("sq_same_session", sequence(A, B, within="same_session"), A_THEN_B_IN_A_SESSION),
    # B 2 h after A (sq-split) is within 3 h, not within 1 h.
    Case(
        "sq_within_3h",
        sequence(A, B, within={"hours": 3}),
        sorted([*A_THEN_B_IN_A_SESSION, "sq-split"]),
    ),
    Case("sq_within_1h", sequence(A, B, within={"hours": 1}), A_THEN_B_IN_A_SESSION),
    Case(
        "sq_no_limit",
        sequence(A, B),
        sorted([*A_THEN_B_IN_A_SESSION, "sq-late", "sq-split"]),
    ),
    # The window applies to the first step: sq_a in the last 3 days.
    Case(
        "sq_window",
        sequence(A, B, window={"last_days": 3}),
        ["sq-3", "sq-3-wrong", "sq-ok", "sq-prop"],
    ),
    # A then not B: sq-rev's A has no B after it.
    Case("sq_then_not", sequence(A, NOT_B), ["sq-a-only", "sq-rev"]),
    # sq-rev's A is 23 h 50 min old: "no B within 24 hours" is not known yet.
    Case(
        "sq_then_not_24h",
        sequence(A, NOT_B, within={"hours": 24}),
        ["sq-a-only", "sq-late"],
    ),
    Case(
        "sq_then_not_same_session",
        sequence(A, NOT_B, within="same_session"),
        ["sq-a-only", "sq-late", "sq-rev", "sq-split"],
    ),
    Case(
        "sq_session_where",
        sequence(
            A,
            B,
            within="same_session",
            session_where=[{"attribute": "country", "equals": "br"}],
        ),
        ["sq-br"],
    ),
    Case(
        "sq_step_where",
        sequence({"event": "sq_a", "where": [{"property": "plan", "equals": "pro"}]}, B),
        ["sq-prop"],
    ),
    Case("sq_three_steps", sequence(A, B, C), ["sq-3"]),
    # At session grain a sequence is within the member session, `within` given or not.
    Case(
        "sq_session_grain",
        sequence(A, B),
        [f"{visitor}#1" for visitor in A_THEN_B_IN_A_SESSION],
        grain="session",
    ),
    Case(
        "sq_session_grain_explicit",
        sequence(A, NOT_B, within="same_session"),
        ["sq-a-only#1", "sq-late#1", "sq-rev#1", "sq-split#1"],
        grain="session",
    ),
]


# --- lifecycle -----------------------------------------------------------------------------------


def lifecycle_events(events: Events) -> None:
    def track_all(visitor: str, event: str, *moments) -> None:
        for moment in moments:
            events.track(visitor, event, moment)

    # first_time (last 7 days)
    track_all("ft-new", "ft_use", ago(days=2))
    track_all("ft-old", "ft_use", ago(days=20), ago(days=2))
    track_all("ft-future", "ft_use", later(AS_OF, days=1))
    track_all("ft-new-and-future", "ft_use", ago(days=2), later(AS_OF, days=1))
    track_all("ft-edge", "ft_use", ago(days=7))
    # regularly: at least 2 a week in 3 of the last 4 weeks
    track_all("rg-yes", "rg_use", *[ago(days=d, hours=h) for d in (1, 8, 15) for h in (0, -1)])
    track_all("rg-two-weeks", "rg_use", *[ago(days=d, hours=h) for d in (1, 8) for h in (0, -1)])
    track_all("rg-once", "rg_use", *[ago(days=d) for d in (1, 8, 15, 22)])
    track_all("rg-old", "rg_use", *[ago(days=d, hours=h) for d in (22, 29, 36) for h in (0, -1)])
    # regularly: on 2 of the last 3 days
    track_all("rgd-yes", "rgd_use", ago(hours=1), ago(hours=25))
    track_all("rgd-no", "rgd_use", ago(hours=1), ago(hours=2), ago(days=4))
    # stopped (not in the last 21 days)
    track_all("st-stopped", "st_use", ago(days=30))
    track_all("st-active", "st_use", ago(days=30), ago(days=5))
    track_all("st-new", "st_use", ago(days=5))
    track_all("st-edge", "st_use", ago(days=21))
    track_all("st-future", "st_use", ago(days=30), later(AS_OF, days=1))
    # restarted (recent 7 days, gap 14 days before them)
    track_all("rs-yes", "rs_use", ago(days=30), ago(days=2))
    track_all("rs-no-gap", "rs_use", ago(days=30), ago(days=10), ago(days=2))
    track_all("rs-new", "rs_use", ago(days=2))
    track_all("rs-no-recent", "rs_use", ago(days=30))
    track_all("rs-edge", "rs_use", ago(days=21), ago(days=2))
    # changed: prior period (as_of - 28 d, as_of - 14 d], recent (as_of - 14 d, as_of]
    prior = [ago(days=d) for d in (20, 19, 18, 17)]
    recent = [ago(days=d) for d in (5, 4, 3, 2, 1)]
    track_all("ch-drop", "ch_use", *prior, *recent[:2])
    track_all("ch-slight", "ch_use", *prior, *recent[:3])
    track_all("ch-gone", "ch_use", *prior[:2])
    track_all("ch-low-prior", "ch_use", prior[0])
    track_all("ch-rise", "ch_use", *prior[:2], *recent)
    track_all("ch-new", "ch_use", *recent[:3])
    track_all("ch-old", "ch_use", ago(days=40), ago(days=41))
    track_all("ch-edge", "ch_use", ago(days=14), ago(days=14, hours=1))  # both in the prior period
    # changed, measured in sessions (one page = one session here)
    events.track("chs-drop", "chs_marker", ago(days=20))
    for days in (20, 18, 16, 2):
        events.page("chs-drop", ago(days=days))
    events.track("chs-flat", "chs_marker", ago(days=20))
    for days in (20, 18, 2, 1):
        events.page("chs-flat", ago(days=days))


def changed(measure, direction: str, percent: float, **options) -> dict:
    return {
        "changed": {
            "measure": measure,
            "recent_days": 14,
            f"{direction}_by_at_least_percent": percent,
            **options,
        }
    }


LIFECYCLE_CASES = [
    Case(
        "lc_first_time",
        {"first_time": {"event": "ft_use", "window": {"last_days": 7}}},
        ["ft-new", "ft-new-and-future"],
    ),
    Case(
        "lc_regularly",
        {
            "regularly": {
                "event": "rg_use",
                "at_least": 2,
                "per": "week",
                "in_at_least": 3,
                "of_last": 4,
            }
        },
        ["rg-yes"],
    ),
    Case(
        "lc_regularly_daily",
        {"regularly": {"event": "rgd_use", "per": "day", "in_at_least": 2, "of_last": 3}},
        ["rgd-yes"],
    ),
    Case(
        "lc_stopped",
        {"stopped": {"event": "st_use", "recent_days": 21}},
        ["st-edge", "st-future", "st-stopped"],
    ),
    Case(
        "lc_restarted",
        {"restarted": {"event": "rs_use", "recent_days": 7, "gap_days": 14}},
        ["rs-edge", "rs-yes"],
    ),
    # Recent <= half the prior count, with at least 2 prior: 4 -> 2, 2 -> 0, 2 (at the boundary,
    # still prior) -> 0.
    Case(
        "lc_dropped",
        changed({"event": "ch_use"}, "dropped", 50, prior_at_least=2),
        ["ch-drop", "ch-edge", "ch-gone"],
    ),
    # Recent >= twice the prior count (default prior_at_least 1): 2 -> 5.
    Case("lc_rose", changed({"event": "ch_use"}, "rose", 100), ["ch-rise"]),
    Case(
        "lc_sessions_dropped",
        scoped(SESSIONS_MEASURED, changed("sessions", "dropped", 50, prior_at_least=2)),
        ["chs-drop"],
    ),
]


# --- aggregates ----------------------------------------------------------------------------------
# ag_order amounts: ag-a 100 (5 d ago) and 300 (3 d ago); ag-b 500 (100 d ago, outside 90 days)
# and 50 (2 d ago); ag-c 250 three times in one session (1 d ago); ag-d "n/a" (no number).


def aggregate_events(events: Events) -> None:
    events.track("ag-a", "ag_order", ago(days=5), amount=100)
    events.track("ag-a", "ag_order", ago(days=3), amount=300)
    events.track("ag-b", "ag_order", ago(days=100), amount=500)
    events.track("ag-b", "ag_order", ago(days=2), amount=50)
    for minute in range(3):
        events.track("ag-c", "ag_order", ago(days=1, minutes=-minute), amount=250)
    events.track("ag-d", "ag_order", ago(days=1), amount="n/a")


def aggregate(function: str, comparison: dict, *, window: bool = True, **options) -> dict:
    measure = {"function": function, "event": "ag_order"}
    if function != "count":
        measure["property"] = "amount"
    if window:
        measure["window"] = {"last_days": 90}
    return {"aggregate": measure | options, **comparison}


AGGREGATE_CASES = [
    Case("ag_sum", aggregate("sum", {"gte": 700}), ["ag-c"]),
    Case("ag_count", aggregate("count", {"gte": 2}), ["ag-a", "ag-c"]),
    Case("ag_count_equals", aggregate("count", {"equals": 1}), ["ag-b", "ag-d"]),
    Case("ag_avg", aggregate("avg", {"between": [150, 220]}), ["ag-a"]),
    Case("ag_min", aggregate("min", {"lt": 100}), ["ag-b"]),
    Case("ag_max", aggregate("max", {"gt": 260}), ["ag-a"]),
    Case("ag_sum_equals", aggregate("sum", {"equals": 50}), ["ag-b"]),
    Case("ag_sum_lte", aggregate("sum", {"lte": 400}), ["ag-a", "ag-b"]),
    Case("ag_no_window", aggregate("sum", {"gte": 500}, window=False), ["ag-b", "ag-c"]),
    # Session grain: over the member session's events by default.
    Case(
        "ag_session",
        aggregate("sum", {"gte": 500}, window=False),
        ["ag-b#1", "ag-c#1"],
        grain="session",
    ),
    Case(
        "ag_session_visitor",
        aggregate("sum", {"gte": 700}, window=False, same_session=False),
        ["ag-c#1"],
        grain="session",
    ),
]


# --- across grains: users by their sessions, sessions by their user -------------------------------
# Users marked company "op-grain", sessions (days ago: rage clicks): g-a 20: 2, 10: 1, 2: 0;
# g-b 5: 4; g-c 40: 1, 1: 0; g-d 3: 0. gs_rage: their sessions with a rage click.
GRAIN = {"attribute": "company", "equals": "op-grain", "case_sensitive": True}
GRAIN_SESSIONS = {
    "g-a": [(20, 2), (10, 1), (2, 0)],
    "g-b": [(5, 4)],
    "g-c": [(40, 1), (1, 0)],
    "g-d": [(3, 0)],
}


def grain_events(events: Events) -> None:
    for visitor, sessions in GRAIN_SESSIONS.items():
        events.identify(visitor, ago(days=50), user=True, company="op-grain")
        for days, rage_clicks in sessions:
            events.page(visitor, ago(days=days), user=True)
            for second in range(rage_clicks):
                events.track(visitor, "rage_click", ago(days=days, seconds=-1 - second), user=True)


def rage_sum(**comparison) -> dict:
    measure = {"function": "sum", "column": "rage_click_count", "window": {"last_days": 30}}
    return {"aggregate": measure, **comparison}


GRAIN_CASES = [
    Case(
        "gs_rage",
        {
            "all": [
                {"attribute": "user.company", "equals": "op-grain", "case_sensitive": True},
                {"attribute": "rage_click_count", "gte": 1},
            ]
        },
        ["g-a#1", "g-a#2", "g-b#1", "g-c#1"],
        grain="session",
    ),
    # A user with a session in a session segment.
    Case("gr_in_session_segment", {"in_segment": "gs_rage"}, ["g-a", "g-b", "g-c"]),
    Case(
        "gr_sessions_twice",
        {"sessions": {"in_segment": "gs_rage", "times": {"at_least": 2}}},
        ["g-a"],
    ),
    # Sessions starting in the last 30 days.
    Case(
        "gr_sessions_window",
        {"sessions": {"in_segment": "gs_rage", "window": {"last_days": 30}}},
        ["g-a", "g-b"],
    ),
    Case(
        "gr_sessions_where",
        scoped(GRAIN, {"sessions": {"where": [{"attribute": "rage_click_count", "gte": 2}]}}),
        ["g-a", "g-b"],
    ),
    Case(
        "gr_sessions_none",
        scoped(GRAIN, {"sessions": {"in_segment": "gs_rage", "times": {"exactly": 0}}}),
        ["g-d"],
    ),
    # Session columns as per-user aggregates: g-a 2 + 1 + 0 in 30 days, g-b 4, g-c 0 (its 1 is
    # 40 days old).
    Case("gr_rage_sum", scoped(GRAIN, rage_sum(gte=3)), ["g-a", "g-b"]),
    Case(
        "gr_rage_max",
        scoped(
            GRAIN, {"aggregate": {"function": "max", "column": "rage_click_count"}, "equals": 1}
        ),
        ["g-c"],
    ),
    # Sessions of users in a user segment.
    Case(
        "gs_of_users",
        {"in_segment": "gr_rage_sum"},
        ["g-a#1", "g-a#2", "g-a#3", "g-b#1"],
        grain="session",
    ),
]


# --- other segments and lists --------------------------------------------------------------------


def list_events(events: Events) -> None:
    when = ago(days=1)
    for visitor, traits in {
        "l-ann": {"email": "Ann@Example.com"},
        "l-bob": {"email": "bob@example.com"},
        "l-cy": {},
        "1001": {},
    }.items():
        events.identify(visitor, when, user=True, company="op-list", **traits)
        events.page(visitor, when, user=True)
    events.identify("l-anon", when, company="op-list")  # anonymous: no user_id
    events.page("l-anon", when)


LISTS = {
    "vip_emails": "email\nann@example.com\nBOB@EXAMPLE.COM\nnobody@example.com\n",
    "vip_ids": "user_id\nl-cy\nl-bob\n1001\nl-nobody\n",
    "vip_numeric_ids": "user_id\n1001\n2002\n",
}

REFERENCE_CASES = [
    Case("ref_both", {"all": [{"in_segment": "ag_count"}, {"in_segment": "ag_avg"}]}, ["ag-a"]),
    # A segment of a segment of segments.
    Case(
        "ref_chain",
        {"any": [{"in_segment": "ref_both"}, {"in_segment": "ag_min"}]},
        ["ag-a", "ag-b"],
    ),
    Case(
        "ref_not",
        {"all": [{"in_segment": "ag_count"}, {"not": {"in_segment": "ag_sum"}}]},
        ["ag-a"],
    ),
    Case("ref_session", {"in_segment": "op_gt"}, ["n-3#1", "n-5#1"], grain="session"),
    # Emails compare case-insensitively.
    Case("list_email", {"in_list": {"list": "vip_emails", "by": "email"}}, ["l-ann", "l-bob"]),
    Case(
        "list_user_id", {"in_list": {"list": "vip_ids", "by": "user_id"}}, ["1001", "l-bob", "l-cy"]
    ),
    Case("list_numeric_ids", {"in_list": {"list": "vip_numeric_ids", "by": "user_id"}}, ["1001"]),
    # Not in the list: l-anon has no user_id at all, so it is not in the list either.
    Case(
        "list_not",
        scoped(LISTED, {"not": {"in_list": {"list": "vip_ids", "by": "user_id"}}}),
        ["l-ann", "l-anon"],
    ),
    Case(
        "list_not_email",
        scoped(LISTED, {"not": {"in_list": {"list": "vip_emails", "by": "email"}}}),
        ["1001", "l-anon", "l-cy"],
    ),
]

CASES = [
    *TEXT_CASES,
    *NUM_CASES,
    *USER_CASES,
    *PROPERTY_CASES,
    *TRAIT_CASES,
    *TRAIT_AT_EVENT_CASES,
    *TIMES_CASES,
    *WINDOW_CASES,
    *TIME_ZONE_CASES,
    *ANCHORED_CASES,
    *STEP_TIME_CASES,
    *SESSION_BEHAVIOUR_CASES,
    *SEQUENCE_CASES,
    *LIFECYCLE_CASES,
    *AGGREGATE_CASES,
    *GRAIN_CASES,
    *REFERENCE_CASES,
]
EVENT_WRITERS = (
    text_events,
    num_events,
    user_events,
    purchase_events,
    trait_events,
    trait_at_event_events,
    times_events,
    window_events,
    time_zone_events,
    anchored_events,
    step_time_events,
    activation_events,
    session_behaviour_events,
    sequence_events,
    lifecycle_events,
    aggregate_events,
    grain_events,
    list_events,
)


# A funnel's step filters read traits at the event as performed's do: tr-g ordered on free, then
# on pro; tr-h only on pro; tr-i with no plan. Two traits, so two trait columns.
TRAIT_FUNNEL = funnel(
    "tr_upgrade",
    [
        {
            "name": "Ordered on free",
            "event": "tr_order",
            "where": [{"trait": "plan", "equals": "free"}],
        },
        {
            "name": "Ordered on pro",
            "event": "tr_order",
            "where": [ON_PRO, {"trait": "company", "is_not_set": True}],
        },
    ],
    segments=["tr_event_pro", "tr_event_no_plan"],
)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> SegmentProject:
    project = SegmentProject.create(tmp_path_factory.mktemp("segments-operators"))
    project.write_segments(case.entry() for case in CASES)
    for name, text in LISTS.items():
        project.write_list(name, text)
    project.write_funnels([TRAIT_FUNNEL])
    project.compile()
    events = Events()
    for writer in EVENT_WRITERS:
        writer(events)
    project.write_events(events)
    project.build()
    return project


def test_case_names_are_unique():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_members(project, case):
    assert members(project, case.name) == sorted(case.expected)


def test_funnel_steps_filter_on_traits_at_the_event(project):
    rows = project.query(
        "select segment_name, step_number, reached_members from reports.funnel_tr_upgrade"
        " order by 1, 2"
    )
    assert rows == [
        ("tr_event_no_plan", 1, 0),
        ("tr_event_no_plan", 2, 0),
        ("tr_event_pro", 1, 1),
        ("tr_event_pro", 2, 1),
    ]


def test_every_condition_type_is_covered(project):
    registry = load_registry(project.segments_dir)
    used = {type(condition) for entry in registry for condition in iter_conditions(entry.where)}
    # The conditions across accounts need group calls: test_segments_accounts.py covers them.
    assert set(CONDITION_TYPES.values()) - {Members, OfAccount} <= used
