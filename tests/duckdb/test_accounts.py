"""Accounts from Segment group calls (marts.accounts, marts.account_users), on hand-written
events with exact expected rows.

    visitor          calls (2024-05, UTC)
    alice (user)     13 10:00 page; 10:05 group acme {name: Acme, plan: pro, employees: 50};
                     10:10 Order Completed 100
    bob (user)       14 12:00 page; 12:05 group acme {plan: enterprise, industry: Retail};
                     12:10 Order Completed 30.5
    carol-anon       15 09:00 page; 09:01 group globex {name: Globex, employees: many};
                     09:02 identify as carol (so the group call counts for carol)
    carol (user)     20 09:00 page (a second session)
    dan (user)       16 08:00 group acme, 16 08:01 group globex {plan: free}, 08:02 group 42;
                     08:03 Order Completed 10; 17 08:00 group acme again
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from segments_support import Events, SegmentProject, segment


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute)


def events() -> Events:
    e = Events()
    e.page("alice", at(13, 10), user=True)
    e.group("alice", at(13, 10, 5), "acme", user=True, name="Acme", plan="pro", employees=50)
    e.track("alice", "Order Completed", at(13, 10, 10), user=True, revenue=100)
    e.page("bob", at(14, 12), user=True)
    e.group("bob", at(14, 12, 5), "acme", user=True, plan="enterprise", industry="Retail")
    e.track("bob", "Order Completed", at(14, 12, 10), user=True, revenue=30.5)
    e.page("carol-anon", at(15, 9))
    e.group("carol-anon", at(15, 9, 1), "globex", name="Globex", employees="many")
    e.add("carol-anon", at(15, 9, 2), "identify", user_id="carol")
    e.page("carol", at(20, 9), user=True)
    e.group("dan", at(16, 8), "acme", user=True)
    e.group("dan", at(16, 8, 1), "globex", user=True, plan="free")
    e.group("dan", at(16, 8, 2), 42, user=True)
    e.track("dan", "Order Completed", at(16, 8, 3), user=True, revenue=10)
    e.group("dan", at(17, 8), "acme", user=True)
    return e


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> SegmentProject:
    project = SegmentProject.create(tmp_path_factory.mktemp("accounts"))
    project.write_segments([segment("buyers", {"performed": {"event": "order_completed"}})])
    project.compile()
    project.write_events(events())
    project.build()
    return project


def test_account_users(warehouse):
    assert warehouse.query(
        "select account_id, visitor_id, user_id, first_grouped_at, last_grouped_at"
        " from marts.account_users order by 1, 2"
    ) == [
        ("42", "dan", "dan", at(16, 8, 2), at(16, 8, 2)),
        ("acme", "alice", "alice", at(13, 10, 5), at(13, 10, 5)),
        ("acme", "bob", "bob", at(14, 12, 5), at(14, 12, 5)),
        ("acme", "dan", "dan", at(16, 8), at(17, 8)),
        # The anonymous group call counts for the user the visitor became.
        ("globex", "carol", "carol", at(15, 9, 1), at(15, 9, 1)),
        ("globex", "dan", "dan", at(16, 8, 1), at(16, 8, 1)),
    ]


def test_accounts(warehouse):
    rows = warehouse.query_dicts(
        "select * exclude (latest_traits) from marts.accounts order by account_id"
    )
    assert rows == [
        {
            "account_id": "42",
            "name": None,
            "plan": None,
            "industry": None,
            "employees": None,
            "first_grouped_at": at(16, 8, 2),
            "users_count": 1,
            "first_seen": at(16, 8),
            "last_seen": at(17, 8),
            # Group and identify calls are no activity: dan's one session is his order's.
            "sessions_count": 1,
            "lifetime_orders": 1,
            "lifetime_revenue": Decimal("10.000000"),
        },
        {
            # Each trait's latest non-null value: the name from alice's call, the plan and
            # industry from bob's; dan's calls set none.
            "account_id": "acme",
            "name": "Acme",
            "plan": "enterprise",
            "industry": "Retail",
            "employees": 50,
            "first_grouped_at": at(13, 10, 5),
            "users_count": 3,
            "first_seen": at(13, 10),
            "last_seen": at(17, 8),
            "sessions_count": 3,
            "lifetime_orders": 3,
            "lifetime_revenue": Decimal("140.500000"),
        },
        {
            # "many" is no number: employees is null (latest_traits keeps it).
            "account_id": "globex",
            "name": "Globex",
            "plan": "free",
            "industry": None,
            "employees": None,
            "first_grouped_at": at(15, 9, 1),
            "users_count": 2,
            "first_seen": at(15, 9),
            "last_seen": at(20, 9),
            "sessions_count": 3,
            "lifetime_orders": 1,
            "lifetime_revenue": Decimal("10.000000"),
        },
    ]


def test_latest_traits_are_those_of_the_latest_group_call_that_sent_traits(warehouse):
    rows = warehouse.query(
        "select account_id, latest_traits::varchar from marts.accounts order by 1"
    )
    assert rows == [
        ("42", None),
        ("acme", '{"plan":"enterprise","industry":"Retail"}'),
        ("globex", '{"plan":"free"}'),
    ]
