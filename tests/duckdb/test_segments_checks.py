"""The registry checked against the data at each refresh: filter values that never occur (a likely
misspelling) and imported list rows that match no user (never dropped silently). Built by dbt on
a real DuckDB file (models/segments/_segment_tables.yml, segmart/compiler/data_checks.py)."""

from __future__ import annotations

import pytest
from segments_support import Events, SegmentProject, ago, campaign, members, segment

from segmart.cli import _print_summary
from segmart.settings import Settings


def registry() -> list[dict]:
    return [
        segment("typo_device", {"attribute": "device_type", "equals": "Moblie"}, grain="session"),
        segment("typo_event", {"performed": {"event": "Order Complete"}}),
        segment(
            "exact_case",
            {"attribute": "utm_source", "equals": "Google", "case_sensitive": True},
            grain="session",
        ),
        segment(
            "any_case",
            {"attribute": "utm_source", "in": ["GOOGLE", "bing"]},
            grain="session",
            min_members=1,
        ),
        segment(
            "partly_misspelled",
            {
                "any": [
                    {"attribute": "utm_source", "equals": "google"},
                    {"attribute": "device_type", "equals": "Moblie"},
                ]
            },
            grain="session",
            min_members=1,
        ),
        # Traits and event properties: the trait as identify calls set it, the property as
        # events carry it, page fields as columns.
        segment(
            "trait_and_properties",
            {
                "all": [
                    {"trait": "job_function", "in": ["Data", "dta"]},
                    {
                        "performed": {
                            "event": "order_completed",
                            "where": [
                                {"property": "currency", "equals": "usd"},
                                {"property": "coupon", "not_equals": "SPRING"},
                                {"trait": "plan", "equals": "pro"},
                                {"property": "revenue", "gt": 1},  # not text: not listed
                            ],
                        }
                    },
                    {
                        "performed": {
                            "event": "page",
                            "where": [{"property": "path", "equals": "/"}],
                        }
                    },
                ]
            },
            min_members=1,
        ),
        segment("vip", {"in_list": {"list": "vip_emails", "by": "email"}}, min_members=1),
        segment("vip_ids", {"in_list": {"list": "vip_ids", "by": "user_id"}}, min_members=1),
    ]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[SegmentProject, object]:
    project = SegmentProject.create(tmp_path_factory.mktemp("segments-checks"))
    project.write_segments(registry())
    project.write_list("vip_emails", "email,note\nANN@example.com,a\nnobody@example.com,b\n,c\n")
    project.write_list("vip_ids", "user_id\n1001\n999\n")
    project.compile()
    events = Events()
    events.identify(
        "1001", ago(days=1), user=True, email="ann@Example.com", job_function="data", plan="pro"
    )
    events.page(
        "1001", ago(days=1), user=True, context=campaign(source="google", medium="cpc"), path="/"
    )
    events.track("1001", "Order Completed", ago(days=1), user=True, revenue=5, currency="USD")
    project.write_events(events)
    result = project.build()
    return project, result


def test_filter_values_say_whether_they_occur(project):
    warehouse, _ = project
    rows = warehouse.query(
        "select segment_name, table_name, column_name, filter_value, occurs_in_data "
        "from segments.segment_filter_values"
    )
    assert sorted(rows) == [
        ("any_case", "sessions", "utm_source", "GOOGLE", True),
        ("any_case", "sessions", "utm_source", "bing", False),
        ("exact_case", "sessions", "utm_source", "Google", False),  # case_sensitive: exact only
        ("partly_misspelled", "sessions", "device_type", "Moblie", False),
        ("partly_misspelled", "sessions", "utm_source", "google", True),
        ("trait_and_properties", "events", "event_name", "order_completed", True),
        ("trait_and_properties", "events", "event_name", "page", True),
        ("trait_and_properties", "events", "page_path", "/", True),
        ("trait_and_properties", "events", "properties.coupon", "SPRING", False),
        ("trait_and_properties", "events", "properties.currency", "usd", True),
        ("trait_and_properties", "events", "traits.job_function", "Data", True),
        ("trait_and_properties", "events", "traits.job_function", "dta", False),
        ("trait_and_properties", "events", "traits.plan", "pro", True),
        ("typo_device", "sessions", "device_type", "Moblie", False),
        ("typo_event", "events", "event_name", "order_complete", False),
    ]


def test_catalog_warns_about_unseen_values(project):
    warehouse, _ = project
    catalog = {
        row[0]: row[1:]
        for row in warehouse.query(
            "select segment_name, members, health_warning, unseen_filter_values "
            "from segments.segment_catalog"
        )
    }
    assert catalog["typo_device"] == (0, "empty", "device_type = Moblie")
    assert catalog["typo_event"] == (0, "empty", "event_name = order_complete")
    assert catalog["partly_misspelled"] == (1, "unseen_filter_value", "device_type = Moblie")
    # One of two values unseen still warns: "bing" may be a typo of something else.
    assert catalog["any_case"] == (1, "unseen_filter_value", "utm_source = bing")
    assert catalog["trait_and_properties"] == (
        1,
        "unseen_filter_value",
        "properties.coupon = SPRING, traits.job_function = dta",
    )
    assert catalog["vip"] == (1, None, None)


def test_list_rows_matching_no_user_are_reported(project):
    warehouse, _ = project
    assert members(warehouse, "vip") == ["1001"]  # emails match ignoring case
    assert members(warehouse, "vip_ids") == ["1001"]
    rows = warehouse.query(
        "select segment_name, list_name, matched_by, listed_value "
        "from segments.segment_list_unmatched"
    )
    assert sorted(rows, key=lambda row: (row[0], row[3] or "")) == [
        ("vip", "vip_emails", "email", None),  # a blank cell is reported, not skipped
        ("vip", "vip_emails", "email", "nobody@example.com"),
        ("vip_ids", "vip_ids", "user_id", "999"),
    ]
    unmatched = dict(
        warehouse.query("select segment_name, unmatched_list_rows from segments.segment_catalog")
    )
    assert (unmatched["vip"], unmatched["vip_ids"], unmatched["typo_device"]) == (2, 1, 0)


def test_the_build_warns_and_still_refreshes(project):
    _, result = project
    statuses = {
        item.node.name: str(item.status)
        for item in result.result.results
        if item.node.resource_type == "test"
    }
    warned = [name for name, status in statuses.items() if status == "warn"]
    assert warned == [name for name in statuses if name.startswith("has_no_rows_segment_list")]
    assert len(warned) == 1


def test_summary_lists_unmatched_rows(project, capsys):
    warehouse, _ = project
    _print_summary(Settings(events=str(warehouse.events_dir), duckdb_path=warehouse.duckdb_path))
    out = capsys.readouterr().out
    assert "Imported list rows that match no known user" in out
    line = next(line for line in out.splitlines() if line.startswith("vip_emails"))
    assert line.split()[:3] == ["vip_emails", "email", "2"]
    assert "(blank), nobody@example.com" in line
