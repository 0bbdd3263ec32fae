"""The registry models as the compiler sees them: one immutable class per condition type, typed
values, and the exactly-one rules, independent of files and the catalog."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import ValidationError

from segmart.inspect.describe import describe
from segmart.registry import (
    CONDITION_TYPES,
    Aggregate,
    AggregateOf,
    AllOf,
    AnyOf,
    AttributeFilter,
    Between,
    Changed,
    ConditionVisitor,
    Duration,
    EventMeasure,
    EventStep,
    FirstTime,
    InList,
    InSegment,
    LastDays,
    LastHours,
    Not,
    NotPerformed,
    NotStep,
    Operator,
    Performed,
    PropertyFilter,
    Regularly,
    RelativeTime,
    RelativeTo,
    Restarted,
    Segment,
    Sequence,
    Stopped,
    Times,
    WithinHoursAfter,
    anchored,
    condition_key,
    iter_conditions,
)

HEADER = {
    "name": "s",
    "title": "S",
    "description": "D.",
    "owner": "o@example.com",
    "use_case": "U.",
    "visibility": "public",
    "grain": "user",
    "refresh": "daily",
}


def where(condition: dict) -> object:
    """The validated condition of a segment with this `where`."""
    return Segment.model_validate({**HEADER, "where": condition}).where


# One valid example of each condition type, by its key.
EXAMPLES = {
    "all": {"all": [{"in_segment": "a"}]},
    "any": {"any": [{"in_segment": "a"}]},
    "not": {"not": {"in_segment": "a"}},
    "attribute": {"attribute": "plan", "equals": "pro"},
    "trait": {"trait": "industry", "equals": "retail"},
    "performed": {"performed": {"event": "x"}},
    "not_performed": {"not_performed": {"event": "x"}},
    "sequence": {"sequence": {"steps": [{"event": "a"}, {"not": "b"}]}},
    "first_time": {"first_time": {"event": "x", "window": {"last_days": 7}}},
    "regularly": {"regularly": {"event": "x", "per": "week", "in_at_least": 3, "of_last": 4}},
    "stopped": {"stopped": {"event": "x", "recent_days": 21}},
    "restarted": {"restarted": {"event": "x", "recent_days": 7, "gap_days": 14}},
    "changed": {
        "changed": {"measure": "sessions", "recent_days": 14, "rose_by_at_least_percent": 20}
    },
    "aggregate": {"aggregate": {"function": "count", "event": "x"}, "gte": 2},
    "in_segment": {"in_segment": "a"},
    "sessions": {"sessions": {"in_segment": "a", "times": {"at_least": 2}}},
    "in_list": {"in_list": {"list": "vips", "by": "user_id"}},
    "members": {"members": {"where": {"in_segment": "a"}, "times": {"at_least": 3}}},
    "account": {"account": {"attribute": "plan", "equals": "enterprise"}},
}


def test_every_condition_key_maps_to_its_class():
    assert set(EXAMPLES) == set(CONDITION_TYPES)
    for key, example in EXAMPLES.items():
        condition = where(example)
        assert type(condition) is CONDITION_TYPES[key]
        assert condition_key(condition) == key


def test_the_condition_visitor_has_one_method_per_condition_type():
    assert ConditionVisitor.__abstractmethods__ == {f"visit_{key}" for key in CONDITION_TYPES}


def test_the_condition_visitor_sends_each_type_to_its_method():
    methods = {f"visit_{key}": (lambda self, _, key=key: key) for key in CONDITION_TYPES}
    recorder = type("Recorder", (ConditionVisitor,), methods)()
    for key, example in EXAMPLES.items():
        assert recorder.visit(where(example)) == key
    with pytest.raises(TypeError, match="not a condition"):
        recorder.visit(EventStep(event="x"))


def test_every_condition_walker_handles_every_type():
    # Importing the modules defines their walkers.
    import segmart.compiler.data_checks
    import segmart.inspect.describe
    import segmart.inspect.explain
    import segmart.inspect.queries
    import segmart.registry.checks  # noqa: F401

    walkers, pending = [], [ConditionVisitor]
    while pending:
        subclasses = pending.pop().__subclasses__()
        walkers += subclasses
        pending += subclasses
    names = {walker.__name__ for walker in walkers}
    assert names >= {"ConditionCompiler", "DefinitionCompiler", "_Checker", "_FilterValues"}
    assert names >= {"_Nested", "_Words", "_Plan"}
    for walker in walkers:
        assert not walker.__abstractmethods__, walker


def test_models_are_immutable():
    condition = where({"performed": {"event": "Product Added"}})
    with pytest.raises(ValidationError):
        condition.event = "other"  # type: ignore[misc]
    assert isinstance(condition.where, tuple)


def test_compiler_style_pattern_matching():
    condition = where(
        {
            "all": [
                {"attribute": "plan", "not_equals": "free"},
                {"performed": {"event": "Report Exported", "times": {"at_least": 6}}},
                {"not": {"in_segment": "staff"}},
            ]
        }
    )
    seen = []
    for item in iter_conditions(condition):
        match item:
            case AllOf(conditions=children):
                seen.append(("all", len(children)))
            case AttributeFilter(attribute=column, operator=Operator.NOT_EQUALS, value=values):
                seen.append(("attribute", column, values))
            case Performed(event=event, times=Times(at_least=count)):
                seen.append(("performed", event, count))
            case Not(condition=InSegment(segment=name)):
                seen.append(("not in", name))
            case InSegment():
                pass
    assert seen == [
        ("all", 3),
        ("attribute", "plan", ("free",)),
        ("performed", "report_exported", 6),
        ("not in", "staff"),
    ]


def test_attribute_filter_operator_and_value():
    single = where({"attribute": "plan", "equals": "pro"})
    assert (single.operator, single.value, single.case_sensitive) == (
        Operator.EQUALS,
        ("pro",),
        False,
    )
    listed = where({"attribute": "plan", "in": ["pro", "enterprise"], "case_sensitive": True})
    assert (listed.operator, listed.value, listed.case_sensitive) == (
        Operator.IN,
        ("pro", "enterprise"),
        True,
    )
    assert listed.in_ == ("pro", "enterprise")
    unset = where({"attribute": "plan", "is_not_set": True})
    assert (unset.operator, unset.value) == (Operator.IS_NOT_SET, True)
    on_user = AttributeFilter(attribute="user.plan", equals="pro")
    assert (on_user.is_user_column, on_user.column) == (True, "plan")


def test_numbers_keep_their_type():
    assert where({"attribute": "mrr", "gt": 5}).value == 5
    assert type(where({"attribute": "mrr", "gt": 5}).value) is int
    assert type(where({"attribute": "mrr", "gt": 5.0}).value) is float
    assert where({"attribute": "mrr", "between": [1, 2.5]}).value == (1, 2.5)


def test_bools_are_not_numbers():
    with pytest.raises(ValidationError, match="expected a whole number, got boolean true"):
        where({"performed": {"event": "x", "times": {"at_least": True}}})


def test_non_finite_numbers_are_rejected():
    with pytest.raises(ValidationError, match="expected a finite number, got inf"):
        where({"attribute": "mrr", "gt": float("inf")})


def test_dates_and_timestamps():
    window = where(
        {
            "performed": {
                "event": "x",
                "window": {"between": ["2026-10-01", datetime(2026, 10, 31, 8)]},
            }
        }
    ).window
    assert window == Between(between=(date(2026, 10, 1), datetime(2026, 10, 31, 8)))
    aware = datetime.fromisoformat("2026-10-01T10:00:00+02:00")
    assert where({"attribute": "signup_at", "gte": aware}).value == datetime(2026, 10, 1, 8)


def test_relative_times():
    value = where({"attribute": "signup_at", "lt": {"hours_ago": 48}}).value
    assert value == RelativeTime(hours_ago=48)
    with pytest.raises(ValidationError, match="exactly one of days_ago, hours_ago"):
        where({"attribute": "signup_at", "lt": {"hours_ago": 48, "days_ago": 2}})
    # An event property or a trait compared with a relative time is compared as a timestamp.
    performed = where(
        {"performed": {"event": "x", "where": [{"property": "at", "lt": {"days_ago": 2}}]}}
    )
    assert performed.where[0].kind == "timestamp"


@pytest.mark.parametrize(
    ("comparison", "kind"),
    [
        ({"equals": "pro"}, "text"),
        ({"gt": 3}, "number"),
        ({"between": [1, 2.5]}, "number"),
        ({"equals": True}, "boolean"),
        ({"gte": "2024-01-01"}, "timestamp"),
        ({"gte": {"days_ago": 3}}, "timestamp"),
        ({"is_set": True}, "text"),
        ({"is_set": True, "type": "number"}, "number"),
        ({"equals": "7", "type": "text"}, "text"),
    ],
)
def test_a_trait_or_property_is_compared_as_its_type_or_its_values(comparison, kind):
    assert where({"trait": "t", **comparison}).kind == kind
    performed = where({"performed": {"event": "x", "where": [{"property": "p", **comparison}]}})
    assert performed.where[0].kind == kind


def test_an_event_filter_is_a_property_or_a_trait():
    performed = where(
        {
            "performed": {
                "event": "x",
                "where": [{"property": "amount", "gt": 5}, {"trait": "plan", "equals": "pro"}],
            }
        }
    )
    assert [type(item).__name__ for item in performed.where] == ["PropertyFilter", "TraitFilter"]
    with pytest.raises(ValidationError, match=r"property.*trait|trait.*property"):
        where(
            {"performed": {"event": "x", "where": [{"property": "a", "trait": "b", "equals": 1}]}}
        )
    with pytest.raises(ValidationError, match=r"invalid trait path 'a\.\.b'"):
        where({"trait": "a..b", "equals": 1})
    with pytest.raises(ValidationError, match="invalid value 'int'"):
        where({"trait": "a", "equals": 1, "type": "int"})


def test_performed_defaults():
    performed = where({"performed": {"event": "Product Added"}})
    assert performed == Performed(event="product_added")
    assert performed.times == Times(at_least=1)
    assert (performed.times.bound, performed.times.count) == ("at_least", 1)
    assert performed.where == () and performed.window is None and performed.same_session is None
    assert performed.in_member_session


def test_not_performed_has_no_times():
    with pytest.raises(ValidationError) as raised:
        where({"not_performed": {"event": "x", "times": {"at_least": 2}}})
    [error] = raised.value.errors()
    assert (error["type"], error["loc"]) == ("extra_forbidden", ("where", "not_performed", "times"))
    assert where({"not_performed": {"event": "x", "same_session": False}}) == NotPerformed(
        event="x", same_session=False
    )


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ({"last_days": 7}, LastDays(last_days=7)),
        ({"last_hours": 3}, LastHours(last_hours=3)),
        (
            {"within_hours_after": "Signed Up", "hours": 24},
            WithinHoursAfter(within_hours_after="signed_up", hours=24),
        ),
    ],
)
def test_window_forms(window, expected):
    assert where({"performed": {"event": "x", "window": window}}).window == expected


def test_sequence():
    sequence = where(
        {
            "sequence": {
                "steps": [
                    {"event": "page", "where": [{"property": "path", "equals": "/cart"}]},
                    {"not": "Checkout Started"},
                ],
                "within": "same_session",
                "window": {"last_days": 7},
                "session_where": [{"attribute": "country", "equals": "BR"}],
            }
        }
    )
    assert isinstance(sequence, Sequence)
    first, second = sequence.steps
    assert first == EventStep(
        event="page", where=(PropertyFilter(property="path", equals="/cart"),)
    )
    assert second == NotStep(event="checkout_started")
    assert sequence.within == "same_session"
    hours = where({"sequence": {"steps": [{"event": "a"}, {"event": "b"}], "within": {"hours": 2}}})
    assert hours.within == Duration(hours=2)
    minutes = where(
        {
            "sequence": {
                "steps": [{"event": "a"}, {"event": "b", "within": {"minutes": 30}}],
                "within": {"days": 1},
            }
        }
    )
    assert minutes.within == Duration(days=1)
    assert minutes.steps[1].within == Duration(minutes=30)
    assert (minutes.steps[1].within.unit, minutes.steps[1].within.amount) == ("minute", 30)
    two = {"hours": 1, "minutes": 5}
    with pytest.raises(ValidationError, match="found 'hours' and 'minutes'"):
        where({"sequence": {"steps": [{"event": "a"}, {"event": "b"}], "within": two}})
    with pytest.raises(ValidationError, match="exactly one of days, hours, minutes"):
        where({"sequence": {"steps": [{"event": "a"}, {"event": "b", "within": two}]}})


def test_windows_relative_to_another_event():
    performed = where(
        {
            "performed": {
                "event": "order_completed",
                "window": {"relative_to": "cancelled", "before": {"days": 7}},
            }
        }
    )
    assert performed.window == RelativeTo(relative_to="cancelled", before=Duration(days=7))
    assert (performed.window.occurrence, performed.window.direction) == ("first", "before")
    assert anchored(performed.window) == performed.window
    short = where(
        {"performed": {"event": "x", "window": {"within_hours_after": "signed_up", "hours": 24}}}
    )
    assert anchored(short.window) == RelativeTo(relative_to="signed_up", after=Duration(hours=24))
    assert anchored(LastDays(last_days=3)) is None
    with pytest.raises(ValidationError, match="exactly one of before, after, around"):
        where(
            {
                "performed": {
                    "event": "x",
                    "window": {"relative_to": "y", "before": {"days": 1}, "after": {"days": 1}},
                }
            }
        )
    with pytest.raises(ValidationError, match="needs one of before, after, around"):
        where({"performed": {"event": "x", "window": {"relative_to": "y"}}})
    with pytest.raises(ValidationError, match="invalid value 'any'"):
        where(
            {
                "performed": {
                    "event": "x",
                    "window": {"relative_to": "y", "occurrence": "any", "around": {"hours": 1}},
                }
            }
        )


def test_lifecycle_conditions():
    assert where({"first_time": {"event": "x", "window": {"last_days": 7}}}) == FirstTime(
        event="x", window=LastDays(last_days=7)
    )
    regularly = where({"regularly": {"event": "x", "per": "week", "in_at_least": 3, "of_last": 4}})
    assert regularly == Regularly(event="x", at_least=1, per="week", in_at_least=3, of_last=4)
    assert where({"stopped": {"event": "x", "recent_days": 21}}) == Stopped(
        event="x", recent_days=21
    )
    assert where({"restarted": {"event": "x", "recent_days": 7, "gap_days": 14}}) == Restarted(
        event="x", recent_days=7, gap_days=14
    )
    with pytest.raises(ValidationError, match=r"in_at_least \(5\) is more than of_last \(4\)"):
        where({"regularly": {"event": "x", "per": "day", "in_at_least": 5, "of_last": 4}})


def test_changed():
    dropped = where(
        {
            "changed": {
                "measure": "sessions",
                "recent_days": 14,
                "dropped_by_at_least_percent": 50,
                "prior_at_least": 2,
            }
        }
    )
    assert (dropped.measure, dropped.direction, dropped.percent) == ("sessions", "dropped", 50)
    rose = where(
        {
            "changed": {
                "measure": {"event": "Core Feature Used"},
                "recent_days": 7,
                "rose_by_at_least_percent": 150,
            }
        }
    )
    assert rose == Changed(
        measure=EventMeasure(event="core_feature_used"),
        recent_days=7,
        rose_by_at_least_percent=150,
    )
    assert (rose.direction, rose.prior_at_least) == ("rose", 1)
    with pytest.raises(ValidationError, match="changed has exactly one of"):
        where(
            {
                "changed": {
                    "measure": "sessions",
                    "recent_days": 7,
                    "rose_by_at_least_percent": 10,
                    "dropped_by_at_least_percent": 10,
                }
            }
        )
    with pytest.raises(ValidationError, match="must be at most 100, got 150"):
        where(
            {
                "changed": {
                    "measure": "sessions",
                    "recent_days": 7,
                    "dropped_by_at_least_percent": 150,
                }
            }
        )


def test_aggregate():
    aggregate = where(
        {
            "aggregate": {
                "function": "sum",
                "property": "revenue",
                "event": "Order Completed",
                "window": {"last_days": 90},
            },
            "gte": 1000,
        }
    )
    assert aggregate == Aggregate(
        measure=AggregateOf(
            function="sum",
            property="revenue",
            event="order_completed",
            window=LastDays(last_days=90),
        ),
        gte=1000,
    )
    assert (aggregate.operator, aggregate.value) == (Operator.GTE, 1000)
    with pytest.raises(ValidationError, match="count counts events: remove property"):
        where({"aggregate": {"function": "count", "property": "x", "event": "e"}, "gte": 1})
    with pytest.raises(ValidationError, match="missing comparison"):
        where({"aggregate": {"function": "count", "event": "e"}})


def test_in_list_and_groups():
    assert where({"in_list": {"list": "vips", "by": "email"}}) == InList(list="vips", by="email")
    group = where({"any": [{"in_segment": "a"}, {"not": {"in_segment": "b"}}]})
    assert group == AnyOf(
        conditions=(InSegment(segment="a"), Not(condition=InSegment(segment="b")))
    )
    assert [type(c).__name__ for c in iter_conditions(group)] == [
        "AnyOf",
        "InSegment",
        "Not",
        "InSegment",
    ]


def test_segment_references_in_order_once():
    segment = Segment.model_validate(
        {
            **HEADER,
            "where": {
                "all": [
                    {"in_segment": "b"},
                    {"any": [{"in_segment": "a"}, {"not": {"in_segment": "b"}}]},
                ]
            },
        }
    )
    assert segment.references() == ("b", "a")


def test_segment_defaults_and_text_cleanup():
    segment = Segment.model_validate(
        {**HEADER, "description": "  Two lines\nof text.\n", "where": {"in_segment": "a"}}
    )
    assert (segment.tags, segment.min_members) == ((), 100)
    assert segment.description == "Two lines\nof text."


def test_traits_read_as_one_line():
    # What explain, preview and the catalog show of a condition.
    assert describe(where({"trait": "seats", "type": "number", "gte": 10})) == (
        "trait seats gte 10 (as number)"
    )
    performed = {
        "event": "order_completed",
        "where": [{"property": "amount", "gt": 5}, {"trait": "plan", "equals": "pro"}],
    }
    assert describe(where({"performed": performed})) == (
        "performed order_completed where amount gt 5 and trait plan equals pro"
    )
