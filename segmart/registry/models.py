"""The registry format (docs/registry.md) as immutable pydantic models, one class per condition.

These models check everything a single file can show on its own: keys, types, exactly-one rules,
value ranges. What needs more context (the column catalog, the segment's grain, other segments,
list files) is checked by `segmart.registry.checks`. `Condition` is the union of the condition
classes; every walker of conditions (checks, SQL, descriptions) is a `ConditionVisitor`.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import ConfigDict, Field, model_validator
from typing_extensions import TypeAliasType

from segmart.registry.base import StrictModel, custom_error, keyed_union
from segmart.registry.values import (
    Bound,
    Count,
    DropPercent,
    EnvName,
    EventName,
    EventNames,
    FileFormatChoice,
    Flag,
    FunctionChoice,
    GrainChoice,
    InstantRange,
    ListKeyChoice,
    ListName,
    Number,
    NumberRange,
    NumberValue,
    OccurrenceChoice,
    PeriodChoice,
    PositiveInt,
    PropertyPath,
    Range,
    RefreshChoice,
    Regex,
    RisePercent,
    ScalarList,
    ScalarValues,
    ScopeChoice,
    SegmentName,
    SegmentReference,
    Tags,
    Text,
    TextValues,
    TimeZoneName,
    TraitPath,
    TrueOnly,
    ValueType,
    ValueTypeChoice,
    VisibilityChoice,
    value_kind,
)


class Operator(StrEnum):
    """Comparison operators of attribute and property filters (the YAML keys)."""

    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    REGEX = "regex"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    IS_SET = "is_set"
    IS_NOT_SET = "is_not_set"


EQUALITY_OPERATORS = frozenset({Operator.EQUALS, Operator.NOT_EQUALS, Operator.IN, Operator.NOT_IN})
TEXT_OPERATORS = frozenset(
    {Operator.CONTAINS, Operator.STARTS_WITH, Operator.ENDS_WITH, Operator.REGEX}
)
ORDER_OPERATORS = frozenset({Operator.GT, Operator.GTE, Operator.LT, Operator.LTE})
RANGE_OPERATORS = ORDER_OPERATORS | {Operator.BETWEEN}
SET_OPERATORS = frozenset({Operator.IS_SET, Operator.IS_NOT_SET})


def _present(model: StrictModel, keys: tuple[str, ...]) -> list[str]:
    """The YAML keys among `keys` that the model has a value for."""
    by_key = {field.alias or name: name for name, field in type(model).model_fields.items()}
    return [key for key in keys if getattr(model, by_key[key]) is not None]


def _exactly_one(model: StrictModel, keys: tuple[str, ...], what: str, missing: str) -> str:
    """The single key present among `keys`; an error naming the problem otherwise."""
    present = _present(model, keys)
    if not present:
        raise custom_error(missing)
    if len(present) > 1:
        found = " and ".join(f"'{key}'" for key in present)
        raise custom_error(f"{what}; found {found}", at=present[1])
    return present[0]


def _one_of_keys(keys: tuple[str, ...]) -> ConfigDict:
    """Model config telling JSON Schema users (editors) that exactly one of `keys` is given."""
    return ConfigDict(json_schema_extra={"oneOf": [{"required": [key]} for key in keys]})


def _field_value(model: StrictModel, key: str) -> Any:
    for name, field in type(model).model_fields.items():
        if (field.alias or name) == key:
            return getattr(model, name)
    raise KeyError(key)


# --- filters ----------------------------------------------------------------------------------


class _Comparison(StrictModel):
    """Exactly one operator and its value; `operator` and `value` give them."""

    model_config = _one_of_keys(tuple(Operator))
    operator_keys: ClassVar[frozenset[str]] = frozenset(Operator)

    equals: ScalarValues | None = Field(None, description="= (a list: equals any of them)")
    not_equals: ScalarValues | None = Field(None, description="<> (a list: none of them)")
    in_: ScalarList | None = Field(None, alias="in", description="equals one of the list")
    not_in: ScalarList | None = Field(None, description="equals none of the list")
    contains: TextValues | None = Field(None, description="substring (a list: any of them)")
    starts_with: TextValues | None = Field(None, description="prefix (a list: any of them)")
    ends_with: TextValues | None = Field(None, description="suffix (a list: any of them)")
    regex: Regex | None = Field(None, description="RE2 regular expression, matched anywhere")
    gt: Bound | None = Field(None, description="> a number, date or timestamp")
    gte: Bound | None = Field(None, description=">= a number, date or timestamp")
    lt: Bound | None = Field(None, description="< a number, date or timestamp")
    lte: Bound | None = Field(None, description="<= a number, date or timestamp")
    between: Range | None = Field(None, description="[low, high], inclusive")
    is_set: TrueOnly | None = Field(None, description="not null (and not empty)")
    is_not_set: TrueOnly | None = Field(None, description="null (or empty)")
    case_sensitive: Flag = Field(
        False, description="compare text exactly (text comparisons ignore case by default)"
    )

    @classmethod
    def yaml_keys(cls) -> tuple[str, ...]:
        keys = super().yaml_keys()
        return tuple(key for key in keys if key not in cls.operator_keys) + tuple(
            key for key in keys if key in cls.operator_keys
        )

    @model_validator(mode="after")
    def _check_operator(self) -> _Comparison:
        operator = Operator(
            _exactly_one(
                self,
                tuple(Operator),
                "one operator per filter (write several filters in an all:)",
                f"missing operator: add one of {', '.join(Operator)}",
            )
        )
        if "case_sensitive" in self.model_fields_set:
            value = _field_value(self, operator.value)
            texts = isinstance(value, tuple) and all(isinstance(item, str) for item in value)
            if operator not in TEXT_OPERATORS and not (operator in EQUALITY_OPERATORS and texts):
                raise custom_error(
                    "case_sensitive applies only to text comparisons", at="case_sensitive"
                )
        return self

    @property
    def operator(self) -> Operator:
        """The filter's operator."""
        return Operator(_present(self, tuple(Operator))[0])

    @property
    def value(self) -> Any:
        """The operator's value: a tuple for equals/not_equals/in/not_in/contains/starts_with/
        ends_with (a single value becomes a 1-tuple), (low, high) for between, True for
        is_set/is_not_set, else the value (number, date, datetime, RelativeTime or text)."""
        return _field_value(self, self.operator.value)


class AttributeFilter(_Comparison):
    """A filter on a column of the member's table: marts.sessions at session grain (and the
    visitor's marts.users columns as `user.<column>`), marts.users at user grain."""

    attribute: str = Field(
        description="A column of the member's table (session grain: also user.<column>)."
    )

    @property
    def is_user_column(self) -> bool:
        """A session-grain filter on the visitor's users column (`user.plan`)."""
        return self.attribute.startswith("user.")

    @property
    def column(self) -> str:
        """The column name without the `user.` prefix."""
        return self.attribute.removeprefix("user.")


class _JsonValueFilter(_Comparison):
    """A filter on a value of untyped JSON (an event property, a user trait), compared as its
    declared `type`, else as the filter's values are (numbers as numbers, dates as timestamps,
    true/false as booleans, anything else as text). Operators and values are checked against
    that kind as a column's are against its type (segmart.registry.checks)."""

    type: ValueTypeChoice | None = Field(
        None, description="How to compare the value; default: as the filter's values are."
    )

    @property
    def values(self) -> tuple[Any, ...]:
        """The operator's values as a tuple (one for gt, two for between, none for is_set)."""
        if self.operator in SET_OPERATORS:
            return ()
        value = self.value
        return value if isinstance(value, tuple) else (value,)

    @property
    def kind(self) -> ValueType:
        """How the value is compared: the declared type, else the kind all values share."""
        if self.type is not None:
            return self.type
        kinds = {value_kind(item) for item in self.values}
        if kinds == {"boolean"}:
            return "boolean"
        if kinds == {"number"}:
            return "number"
        if kinds and kinds <= {"instant", "relative"}:
            return "timestamp"
        return "text"


# The page fields of page and screen views: text columns of marts.events, by property name.
PAGE_FIELDS = {
    "path": "page_path",
    "url": "page_url",
    "title": "page_title",
    "referrer": "page_referrer",
}


class PropertyFilter(_JsonValueFilter):
    """A filter on an event property (a JSON path into `properties`; for page and screen views
    also the page fields path, url, title, referrer)."""

    property: PropertyPath

    def page_field(self, event: str) -> str | None:
        """The events column this property is for page and screen views (path: page_path)."""
        return PAGE_FIELDS.get(self.property) if event in ("page", "screen") else None

    @property
    def path(self) -> tuple[str, ...]:
        """The property path split on dots: `a.b.c` -> ("a", "b", "c")."""
        return tuple(self.property.split("."))


class TraitFilter(_JsonValueFilter):
    """A filter on a user trait of identify calls (any trait, by name or JSON path). As a
    condition: the member's latest value at as_of (at session grain, the session's visitor's).
    In an event's `where`: the value the trait had when the event happened."""

    trait: TraitPath


EventFilter = TypeAliasType(
    "EventFilter",
    keyed_union("event filter", {"property": PropertyFilter, "trait": TraitFilter}),
)


# --- times and windows ------------------------------------------------------------------------


class Times(StrictModel):
    """How often the event must have happened: exactly one of at_least, at_most, exactly."""

    model_config = _one_of_keys(("at_least", "at_most", "exactly"))

    at_least: PositiveInt | None = None
    at_most: Count | None = None
    exactly: Count | None = None

    @model_validator(mode="after")
    def _check_one(self) -> Times:
        _exactly_one(
            self,
            ("at_least", "at_most", "exactly"),
            "times has exactly one of at_least, at_most, exactly",
            "times needs one of at_least, at_most, exactly",
        )
        return self

    @property
    def bound(self) -> Literal["at_least", "at_most", "exactly"]:
        """Which of the three is given."""
        return _present(self, ("at_least", "at_most", "exactly"))[0]  # type: ignore[return-value]

    @property
    def count(self) -> int:
        """Its number."""
        return _field_value(self, self.bound)


class Duration(StrictModel):
    """A length of time: exactly one of days, hours, minutes."""

    model_config = _one_of_keys(("days", "hours", "minutes"))

    days: PositiveInt | None = None
    hours: PositiveInt | None = None
    minutes: PositiveInt | None = None

    @model_validator(mode="after")
    def _check_one(self) -> Duration:
        _exactly_one(
            self,
            ("days", "hours", "minutes"),
            "a duration has exactly one of days, hours, minutes",
            "a duration needs one of days, hours, minutes",
        )
        return self

    @property
    def unit(self) -> Literal["day", "hour", "minute"]:
        """The unit given, singular (as SQL's dateadd names it)."""
        return _present(self, ("days", "hours", "minutes"))[0][:-1]  # type: ignore[return-value]

    @property
    def amount(self) -> int:
        return _field_value(self, f"{self.unit}s")


class LastDays(StrictModel):
    """Event time in (as_of - N days, as_of]."""

    last_days: PositiveInt


class LastHours(StrictModel):
    """Event time in (as_of - N hours, as_of]."""

    last_hours: PositiveInt


class Between(StrictModel):
    """Event time between two dates or timestamps, inclusive (a date end means the whole day)."""

    between: InstantRange


class WithinHoursAfter(StrictModel):
    """Event time within `hours` after the same visitor's first `within_hours_after` event (the
    short form of relative_to with `after: {hours: N}`)."""

    within_hours_after: EventName
    hours: PositiveInt

    def relative(self) -> RelativeTo:
        return RelativeTo(relative_to=self.within_hours_after, after=Duration(hours=self.hours))


class RelativeTo(StrictModel):
    """Event time before, after or around an occurrence of another event of the same visitor (up
    to as_of): its first occurrence (the default), its last, or any of them (every)."""

    model_config = _one_of_keys(("before", "after", "around"))

    relative_to: EventName = Field(description="The anchor event.")
    occurrence: OccurrenceChoice = Field("first", description="first, last or every occurrence.")
    before: Duration | None = Field(None, description="From that long before the anchor to it.")
    after: Duration | None = Field(None, description="From the anchor to that long after it.")
    around: Duration | None = Field(None, description="That long before to that long after.")

    @model_validator(mode="after")
    def _check_direction(self) -> RelativeTo:
        _exactly_one(
            self,
            ("before", "after", "around"),
            "relative_to has exactly one of before, after, around",
            "relative_to needs one of before, after, around (a duration: {days: 7})",
        )
        return self

    @property
    def direction(self) -> Literal["before", "after", "around"]:
        return _present(self, ("before", "after", "around"))[0]  # type: ignore[return-value]

    @property
    def duration(self) -> Duration:
        return _field_value(self, self.direction)


Window = TypeAliasType(
    "Window",
    keyed_union(
        "window",
        {
            "last_days": LastDays,
            "last_hours": LastHours,
            "between": Between,
            "within_hours_after": WithinHoursAfter,
            "relative_to": RelativeTo,
        },
    ),
)


def anchored(window: object) -> RelativeTo | None:
    """A window anchored on another event, in its general form (else None)."""
    if isinstance(window, WithinHoursAfter):
        return window.relative()
    return window if isinstance(window, RelativeTo) else None


# --- behaviour --------------------------------------------------------------------------------


class Performed(StrictModel):
    """The member did the event (with the property filters, as often as `times` says, in the
    window). At session grain it is about the member session unless `same_session: false` (then
    the session's visitor); at user grain about all the visitor's events."""

    unwrap_key: ClassVar[str | None] = "performed"

    event: EventName
    where: tuple[EventFilter, ...] = Field(
        (), description="Event property and trait filters (ANDed)."
    )
    times: Times = Field(Times(at_least=1), description="Default: at_least 1.")
    window: Window | None = Field(None, description="Default: all events up to as_of.")
    same_session: Flag | None = Field(
        None, description="Session grain only (default true there): events of the member session."
    )

    @property
    def in_member_session(self) -> bool:
        """At session grain: whether the events must be in the member session."""
        return self.same_session is not False


class NotPerformed(StrictModel):
    """The member did not do the event (no event matches the filters in the window). Session
    grain: about the member session unless `same_session: false`."""

    unwrap_key: ClassVar[str | None] = "not_performed"

    event: EventName
    where: tuple[EventFilter, ...] = Field(
        (), description="Event property and trait filters (ANDed)."
    )
    window: Window | None = Field(None, description="Default: all events up to as_of.")
    same_session: Flag | None = Field(
        None, description="Session grain only (default true there): events of the member session."
    )

    @property
    def in_member_session(self) -> bool:
        """At session grain: whether the events must be in the member session."""
        return self.same_session is not False


class EventStep(StrictModel):
    """A sequence step: this event (with optional property filters) happened, after the previous
    step (within `within` of it when given)."""

    event: EventName
    where: tuple[EventFilter, ...] = ()
    within: Duration | None = Field(None, description="At most this long after the previous step.")


class NotStep(StrictModel):
    """A sequence step: this event did not happen after the previous step (within `within` of
    it, or the sequence's limit)."""

    event: EventName = Field(alias="not")
    within: Duration | None = Field(None, description="No such event this long after the step.")


Step = TypeAliasType("Step", keyed_union("step", {"event": EventStep, "not": NotStep}))


SameSession = Literal["same_session"]
Within = TypeAliasType(
    "Within",
    keyed_union(
        "time limit",
        {"days": Duration, "hours": Duration, "minutes": Duration},
        literals={"same_session": SameSession},
    ),
)


class Sequence(StrictModel):
    """Steps in order: each positive step after the previous one; a `not` step means no such
    event after the previous step (within the limit). `within` limits the whole sequence to one
    session or each step to a duration after the previous (default: no limit; a step's own
    `within` overrides it); `window` applies to the first step; `session_where` filters the
    session (needs `within: same_session`)."""

    unwrap_key: ClassVar[str | None] = "sequence"

    steps: tuple[Step, ...] = Field(min_length=2)
    within: Within | None = None
    window: Window | None = None
    session_where: tuple[AttributeFilter, ...] = Field(
        (), description="marts.sessions column filters the steps' session must pass."
    )

    @model_validator(mode="after")
    def _check_steps(self) -> Sequence:
        if isinstance(self.steps[0], NotStep):
            raise custom_error("a sequence starts with an event, not a 'not' step")
        if self.steps[0].within is not None:
            raise custom_error(
                "the first step has no previous step to be within: remove its within "
                "(the window says when the sequence starts)",
                at="steps",
            )
        if self.session_where and self.within != "same_session":
            raise custom_error("session_where needs within: same_session", at="session_where")
        return self


# --- lifecycle --------------------------------------------------------------------------------


class FirstTime(StrictModel):
    """The visitor's first ever occurrence of the event is in the window."""

    unwrap_key: ClassVar[str | None] = "first_time"

    event: EventName
    window: Window


class Regularly(StrictModel):
    """At least `at_least` events per day or week, in at least `in_at_least` of the last
    `of_last` periods."""

    unwrap_key: ClassVar[str | None] = "regularly"

    event: EventName
    at_least: PositiveInt = 1
    per: PeriodChoice
    in_at_least: PositiveInt
    of_last: PositiveInt

    @model_validator(mode="after")
    def _check_periods(self) -> Regularly:
        if self.in_at_least > self.of_last:
            raise custom_error(
                f"in_at_least ({self.in_at_least}) is more than of_last ({self.of_last})",
                at="in_at_least",
            )
        return self


class Stopped(StrictModel):
    """Did the event before the last `recent_days` days, not within them."""

    unwrap_key: ClassVar[str | None] = "stopped"

    event: EventName
    recent_days: PositiveInt


class Restarted(StrictModel):
    """Did the event before, not in the `gap_days` days before the last `recent_days` days, and
    again in the last `recent_days` days."""

    unwrap_key: ClassVar[str | None] = "restarted"

    event: EventName
    recent_days: PositiveInt
    gap_days: PositiveInt


class EventMeasure(StrictModel):
    """Count this event (for `changed`)."""

    event: EventName


Measure = TypeAliasType(
    "Measure",
    keyed_union("measure", {"event": EventMeasure}, literals={"sessions": Literal["sessions"]}),
)


class Changed(StrictModel):
    """The measure in the last `recent_days` days against the equal period before: dropped or
    rose by at least a percentage, counting only members with at least `prior_at_least` in the
    prior period."""

    model_config = _one_of_keys(("dropped_by_at_least_percent", "rose_by_at_least_percent"))
    unwrap_key: ClassVar[str | None] = "changed"

    measure: Measure
    recent_days: PositiveInt
    dropped_by_at_least_percent: DropPercent | None = None
    rose_by_at_least_percent: RisePercent | None = None
    prior_at_least: PositiveInt = 1

    @model_validator(mode="after")
    def _check_direction(self) -> Changed:
        _exactly_one(
            self,
            ("dropped_by_at_least_percent", "rose_by_at_least_percent"),
            "changed has exactly one of dropped_by_at_least_percent, rose_by_at_least_percent",
            "changed needs dropped_by_at_least_percent or rose_by_at_least_percent",
        )
        return self

    @property
    def direction(self) -> Literal["dropped", "rose"]:
        return "dropped" if self.dropped_by_at_least_percent is not None else "rose"

    @property
    def percent(self) -> Number:
        value = self.dropped_by_at_least_percent
        return value if value is not None else self.rose_by_at_least_percent  # type: ignore[return-value]


# --- aggregates -------------------------------------------------------------------------------


class AggregateOf(StrictModel):
    """What to aggregate: a function of a numeric event property over the events (count: the
    number of events), or, at user grain, of a numeric marts.sessions column over the user's
    sessions (`column`, starting in the window). Session grain: the member session's events
    unless same_session: false."""

    model_config = _one_of_keys(("event", "column"))

    function: FunctionChoice
    property: PropertyPath | None = None
    event: EventName | None = None
    column: str | None = Field(
        None, description="User grain: a numeric marts.sessions column (rage_click_count)."
    )
    window: Window | None = None
    same_session: Flag | None = None

    @model_validator(mode="after")
    def _check_measure(self) -> AggregateOf:
        _exactly_one(
            self,
            ("event", "column"),
            "aggregate has exactly one of event (its property) and column (a sessions column)",
            "aggregate needs an event (with a property) or a sessions column",
        )
        if self.column is not None:
            if self.property is not None:
                raise custom_error("a sessions column is aggregated itself: remove property")
            if self.function == "count":
                raise custom_error(
                    "count of sessions is the sessions condition: sessions: {times: {at_least: N}}",
                    at="function",
                )
            return self
        if self.function == "count" and self.property is not None:
            raise custom_error("count counts events: remove property", at="property")
        if self.function != "count" and self.property is None:
            raise custom_error(f"{self.function} needs a property (the numeric event property)")
        return self

    @builtins.property
    def in_member_session(self) -> bool:
        """At session grain: whether only the member session's events count."""
        return self.same_session is not False


_AGGREGATE_OPERATORS = ("gt", "gte", "lt", "lte", "equals", "between")


class Aggregate(StrictModel):
    """An aggregate of event properties compared with a number."""

    model_config = _one_of_keys(_AGGREGATE_OPERATORS)
    operator_keys: ClassVar[frozenset[str]] = frozenset(_AGGREGATE_OPERATORS)

    measure: AggregateOf = Field(alias="aggregate")
    gt: NumberValue | None = None
    gte: NumberValue | None = None
    lt: NumberValue | None = None
    lte: NumberValue | None = None
    equals: NumberValue | None = None
    between: NumberRange | None = None

    @model_validator(mode="after")
    def _check_operator(self) -> Aggregate:
        _exactly_one(
            self,
            _AGGREGATE_OPERATORS,
            "one comparison per aggregate",
            f"missing comparison: add one of {', '.join(_AGGREGATE_OPERATORS)}",
        )
        return self

    @property
    def operator(self) -> Operator:
        return Operator(_present(self, _AGGREGATE_OPERATORS)[0])

    @property
    def value(self) -> Number | tuple[Number, Number]:
        return _field_value(self, self.operator.value)


# --- other segments and lists -----------------------------------------------------------------


class InSegment(StrictModel):
    """Member of another segment. Across grains: a session whose visitor is in a user segment;
    a user with a session in a session segment (counts and windows: `sessions`)."""

    segment: SegmentReference = Field(alias="in_segment")


class HadSessions(StrictModel):
    """User grain: the user had sessions (in a session segment, passing session attribute
    filters, starting in the window), as often as `times` says."""

    unwrap_key: ClassVar[str | None] = "sessions"

    in_segment: SegmentReference | None = Field(None, description="A session-grain segment.")
    where: tuple[AttributeFilter, ...] = Field(
        (), description="marts.sessions column filters (ANDed)."
    )
    times: Times = Field(Times(at_least=1), description="Default: at_least 1.")
    window: Window | None = Field(None, description="When the sessions start; default: ever.")


class Members(StrictModel):
    """Account grain: the account has members (its users, marts.account_users) passing a
    user-grain condition (default: any member), as many as `times` says."""

    unwrap_key: ClassVar[str | None] = "members"

    where: Condition | None = Field(None, description="A user-grain condition on each member.")
    times: Times = Field(Times(at_least=1), description="Default: at_least 1.")


class OfAccount(StrictModel):
    """User or session grain: the member's account (any of them, for a user in several) passes
    an account-grain condition."""

    condition: Condition = Field(alias="account")


class InList(StrictModel):
    """User grain: the user's user_id or email is in seeds/segment_lists/<list>.csv."""

    unwrap_key: ClassVar[str | None] = "in_list"

    list: ListName
    by: ListKeyChoice


# --- boolean groups ---------------------------------------------------------------------------


class AllOf(StrictModel):
    """Every condition holds."""

    conditions: tuple[Condition, ...] = Field(alias="all", min_length=1)


class AnyOf(StrictModel):
    """At least one condition holds."""

    conditions: tuple[Condition, ...] = Field(alias="any", min_length=1)


class Not(StrictModel):
    """The condition does not hold."""

    condition: Condition = Field(alias="not")


T = TypeVar("T")

CONDITION_TYPES: dict[str, type[StrictModel]] = {
    "all": AllOf,
    "any": AnyOf,
    "not": Not,
    "attribute": AttributeFilter,
    "trait": TraitFilter,
    "performed": Performed,
    "not_performed": NotPerformed,
    "sequence": Sequence,
    "first_time": FirstTime,
    "regularly": Regularly,
    "stopped": Stopped,
    "restarted": Restarted,
    "changed": Changed,
    "aggregate": Aggregate,
    "in_segment": InSegment,
    "sessions": HadSessions,
    "in_list": InList,
    "members": Members,
    "account": OfAccount,
}
"""Condition key -> class. The key is the one a condition mapping is recognized by."""

UNWRAPPED_CONDITIONS = frozenset(
    key for key, kind in CONDITION_TYPES.items() if kind.unwrap_key is not None
)

Condition = TypeAliasType(
    "Condition",
    keyed_union("condition", CONDITION_TYPES, unwrapped=UNWRAPPED_CONDITIONS),
)


def condition_key(condition: StrictModel) -> str:
    """The YAML key of a condition object ("performed" for a Performed)."""
    for key, kind in CONDITION_TYPES.items():
        if type(condition) is kind:
            return key
    raise TypeError(f"not a condition: {condition!r}")


class ConditionVisitor(ABC, Generic[T]):
    """The one walk over conditions, one method per condition type, named after its YAML key:
    every walker of conditions (checks, SQL, descriptions, filter values) is a subclass. A
    subclass that leaves a type out cannot be instantiated, and a type `visit` does not match is
    an error, never a silent skip (tests/unit/test_registry_models.py checks both against
    CONDITION_TYPES)."""

    def visit(self, condition: Any) -> T:
        match condition:
            case AllOf():
                return self.visit_all(condition)
            case AnyOf():
                return self.visit_any(condition)
            case Not():
                return self.visit_not(condition)
            case AttributeFilter():
                return self.visit_attribute(condition)
            case TraitFilter():
                return self.visit_trait(condition)
            case Performed():
                return self.visit_performed(condition)
            case NotPerformed():
                return self.visit_not_performed(condition)
            case Sequence():
                return self.visit_sequence(condition)
            case FirstTime():
                return self.visit_first_time(condition)
            case Regularly():
                return self.visit_regularly(condition)
            case Stopped():
                return self.visit_stopped(condition)
            case Restarted():
                return self.visit_restarted(condition)
            case Changed():
                return self.visit_changed(condition)
            case Aggregate():
                return self.visit_aggregate(condition)
            case InSegment():
                return self.visit_in_segment(condition)
            case HadSessions():
                return self.visit_sessions(condition)
            case InList():
                return self.visit_in_list(condition)
            case Members():
                return self.visit_members(condition)
            case OfAccount():
                return self.visit_account(condition)
        raise TypeError(f"not a condition: {condition!r}")

    @abstractmethod
    def visit_all(self, condition: AllOf) -> T: ...
    @abstractmethod
    def visit_any(self, condition: AnyOf) -> T: ...
    @abstractmethod
    def visit_not(self, condition: Not) -> T: ...
    @abstractmethod
    def visit_attribute(self, condition: AttributeFilter) -> T: ...
    @abstractmethod
    def visit_trait(self, condition: TraitFilter) -> T: ...
    @abstractmethod
    def visit_performed(self, condition: Performed) -> T: ...
    @abstractmethod
    def visit_not_performed(self, condition: NotPerformed) -> T: ...
    @abstractmethod
    def visit_sequence(self, condition: Sequence) -> T: ...
    @abstractmethod
    def visit_first_time(self, condition: FirstTime) -> T: ...
    @abstractmethod
    def visit_regularly(self, condition: Regularly) -> T: ...
    @abstractmethod
    def visit_stopped(self, condition: Stopped) -> T: ...
    @abstractmethod
    def visit_restarted(self, condition: Restarted) -> T: ...
    @abstractmethod
    def visit_changed(self, condition: Changed) -> T: ...
    @abstractmethod
    def visit_aggregate(self, condition: Aggregate) -> T: ...
    @abstractmethod
    def visit_in_segment(self, condition: InSegment) -> T: ...
    @abstractmethod
    def visit_sessions(self, condition: HadSessions) -> T: ...
    @abstractmethod
    def visit_in_list(self, condition: InList) -> T: ...
    @abstractmethod
    def visit_members(self, condition: Members) -> T: ...
    @abstractmethod
    def visit_account(self, condition: OfAccount) -> T: ...


class _Nested(ConditionVisitor[tuple[Any, ...]]):
    """The conditions directly inside one: the children of all / any / not, none for a leaf."""

    def visit_all(self, condition: AllOf) -> tuple[Any, ...]:
        return condition.conditions

    visit_any = visit_all  # type: ignore[assignment]

    def visit_not(self, condition: Not) -> tuple[Any, ...]:
        return (condition.condition,)

    def _leaf(self, condition: Any) -> tuple[Any, ...]:
        return ()

    visit_attribute = visit_trait = visit_performed = visit_not_performed = _leaf
    visit_sequence = visit_first_time = visit_regularly = visit_stopped = visit_restarted = _leaf
    visit_changed = visit_aggregate = visit_in_segment = visit_sessions = visit_in_list = _leaf

    # A condition at another grain is nested too (its references are the segment's).
    def visit_members(self, condition: Members) -> tuple[Any, ...]:
        return () if condition.where is None else (condition.where,)

    def visit_account(self, condition: OfAccount) -> tuple[Any, ...]:
        return (condition.condition,)


def iter_conditions(condition: Any) -> Iterator[Any]:
    """The condition and every condition nested in it (through all, any and not), depth first."""
    yield condition
    for child in _Nested().visit(condition):
        yield from iter_conditions(child)


# --- activation destinations --------------------------------------------------------------


class WebhookDestination(StrictModel):
    """POST each refresh's entered / exited members as JSON batches to a URL read from an
    environment variable, signed with a secret read from another (neither goes in the
    registry: docs/security.md)."""

    unwrap_key: ClassVar[str | None] = "webhook"

    url_env: EnvName = Field(description="Environment variable holding the URL.")
    secret_env: EnvName = Field(
        description="Environment variable holding the signing secret (Standard Webhooks: "
        "whsec_ and 24 to 64 random bytes in base64)."
    )
    batch_size: Count = Field(500, description="Members per POST (entered + exited).")


class FileDestination(StrictModel):
    """Write the current members and each refresh's changes as files, atomically, under
    SEGMART_ACTIVATION_DIR/<segment>/ (what marketing tools import)."""

    unwrap_key: ClassVar[str | None] = "file"

    format: FileFormatChoice = "csv"


DESTINATION_TYPES: dict[str, type[StrictModel]] = {
    "webhook": WebhookDestination,
    "file": FileDestination,
}

Destination = TypeAliasType(
    "Destination",
    keyed_union("destination", DESTINATION_TYPES, unwrapped=frozenset(DESTINATION_TYPES)),
)


# --- the entry --------------------------------------------------------------------------------


class Segment(StrictModel):
    """A saved segment: who its members are (`where`), what a member is (`grain`), and the
    metadata people and Dagster need (owner, refresh, visibility)."""

    name: SegmentName = Field(
        description="Slug ^[a-z][a-z0-9_]{0,62}$, equal to the file name; the table name."
    )
    title: Text = Field(description="Human name.")
    description: Text = Field(description="What it means, in a sentence or two.")
    owner: Text = Field(description="A person or team (the Dagster owner).")
    use_case: Text = Field(description="When to use it.")
    visibility: VisibilityChoice
    tags: Tags = ()
    grain: GrainChoice = Field(description="What a member is.")
    refresh: RefreshChoice
    min_members: Count = Field(100, description="Fewer members is a 'too small' health warning.")
    time_zone: TimeZoneName | None = Field(
        None,
        description="Where this segment's dates are days (default: the project's, dbt var "
        "segmart_time_zone).",
    )
    destinations: tuple[Destination, ...] = Field(
        (), description="Where entered / exited members are delivered after each refresh."
    )
    where: Condition

    def references(self) -> tuple[str, ...]:
        """Names of the segments this one uses (in_segment, sessions' in_segment), in order of
        appearance, once."""
        names: dict[str, None] = {}
        for condition in iter_conditions(self.where):
            if isinstance(condition, InSegment):
                names.setdefault(condition.segment)
            elif isinstance(condition, HadSessions) and condition.in_segment is not None:
                names.setdefault(condition.in_segment)
        return tuple(names)


# --- funnels -----------------------------------------------------------------------------


class FunnelStep(StrictModel):
    """A funnel step: one of its events (passing the filters), after an event of the previous
    step: in the same session (scope session) or in any of the member's sessions (scope user)."""

    name: Text = Field(description="How the step is shown (Viewed product).")
    event: EventNames = Field(description="The step's event, or a list of them (any of them).")
    where: tuple[EventFilter, ...] = Field(
        (), description="Event property and trait filters (ANDed)."
    )
    scope: ScopeChoice | None = Field(
        None,
        description="session: in the same session as the previous step; user: in any session. "
        "Default: the funnel's scope.",
    )


# A funnel's table is funnel_<name>: within the 63 characters of a PostgreSQL name.
FUNNEL_NAME_LIMIT = 56


class Funnel(StrictModel):
    """A saved funnel: ordered steps, reported for each segment's members (a table per funnel,
    one row per segment and step: members reaching the step, step-to-step conversion)."""

    name: SegmentName = Field(
        description="Slug of at most 56 characters, equal to the file name; the table is "
        "reports.funnel_<name>."
    )
    title: Text = Field(description="Human name.")
    description: Text = Field(description="What it measures, in a sentence or two.")
    owner: Text = Field(description="A person or team.")
    tags: Tags = ()
    scope: ScopeChoice = Field(
        "user", description="Where each step happens relative to the previous one (default)."
    )
    conversion_window: Duration | None = Field(
        None, description="Every step within this long of the member's first step (default: none)."
    )
    segments: tuple[SegmentReference, ...] = Field(
        (), description="The segments it is reported for (default: every segment)."
    )
    steps: tuple[FunnelStep, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _check_funnel(self) -> Funnel:
        if len(self.name) > FUNNEL_NAME_LIMIT:
            raise custom_error(
                f"a funnel name has at most {FUNNEL_NAME_LIMIT} characters (its table is "
                f"funnel_<name>), got {len(self.name)}",
                at="name",
            )
        if self.steps[0].scope is not None:
            raise custom_error(
                "the first step has no previous step to share a session with: remove its scope",
                at="steps",
            )
        step_names = [step.name for step in self.steps]
        for key, names in (("steps", step_names), ("segments", list(self.segments))):
            repeated = [name for index, name in enumerate(names) if name in names[:index]]
            if repeated:
                raise custom_error(f"{key[:-1]} '{repeated[0]}' is listed twice", at=key)
        return self

    def step_scope(self, step: FunnelStep) -> str:
        """Where `step` happens relative to the previous step: session or user."""
        return step.scope or self.scope


for _model in (AllOf, AnyOf, Not, Members, OfAccount, Segment):
    _model.model_rebuild()
