"""Checks that need more than one file: columns and their types, the segment's grain, other
segments, list files.

The models already guarantee the shape of each entry; here each condition is checked against its
context, with the YAML path of the offending key so the problem points at the right line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from segmart.registry.base import describe, did_you_mean
from segmart.registry.catalog import Catalog, Column, ColumnKind
from segmart.registry.models import (
    EQUALITY_OPERATORS,
    ORDER_OPERATORS,
    RANGE_OPERATORS,
    SET_OPERATORS,
    TEXT_OPERATORS,
    Aggregate,
    AllOf,
    AnyOf,
    AttributeFilter,
    ConditionVisitor,
    EventStep,
    FirstTime,
    Funnel,
    HadSessions,
    InList,
    InSegment,
    Members,
    Not,
    NotPerformed,
    OfAccount,
    Operator,
    Performed,
    PropertyFilter,
    Segment,
    Sequence,
    TraitFilter,
    anchored,
    condition_key,
)
from segmart.registry.problems import YamlPath
from segmart.registry.values import RelativeTime, quoting_hint, value_kind

# Which operators a column kind supports, and what its values must be.
OPERATORS_BY_KIND: dict[ColumnKind, frozenset[Operator]] = {
    "text": EQUALITY_OPERATORS | TEXT_OPERATORS | SET_OPERATORS,
    "number": EQUALITY_OPERATORS | RANGE_OPERATORS | SET_OPERATORS,
    "boolean": EQUALITY_OPERATORS | SET_OPERATORS,
    "timestamp": EQUALITY_OPERATORS | RANGE_OPERATORS | SET_OPERATORS,
    "json": SET_OPERATORS,
}
_VALUE_KINDS: dict[ColumnKind, tuple[str, str]] = {
    "text": ("text", "text"),
    "number": ("number", "a number"),
    "boolean": ("boolean", "true or false"),
    "timestamp": ("instant", "a date or a timestamp"),
}


@dataclass(frozen=True)
class Reference:
    """An in_segment condition: the segment it names and where it is."""

    segment: str
    path: YamlPath


@dataclass
class SegmentCheck:
    """The problems of one segment in its context, and its references to other segments."""

    issues: list[tuple[YamlPath, str]] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What conditions are checked against.

    catalog: the mart columns.
    grains: every segment name the registry declares -> its grain (None when unknown).
    lists_dir: where in_list CSVs are; lists_display: how messages show that folder.
    """

    catalog: Catalog
    grains: Mapping[str, str | None]
    lists_dir: Path
    lists_display: str


def check_condition(condition: Any, grain: str, context: Context, path: YamlPath) -> SegmentCheck:
    """Check a condition (found at `path`) of a segment of `grain` in its context."""
    checker = _Checker(grain, context)
    checker.check(condition, path)
    return checker.result


def check_segment(segment: Segment, context: Context) -> SegmentCheck:
    """Check a valid segment's conditions in their context."""
    return check_condition(segment.where, segment.grain, context, ("where",))


def check_funnel(funnel: Funnel, context: Context) -> SegmentCheck:
    """Check a valid funnel's step filters and the segments it names."""
    checker = _Checker("user", context)
    for index, step in enumerate(funnel.steps):
        for event in step.event:
            checker.event_filters(event, step.where, ("steps", index))
    for index, name in enumerate(funnel.segments):
        checker.reference(name, ("segments", index))
    # A step of several events checks its filters once per event: report each problem once.
    checker.result.issues = list(dict.fromkeys(checker.result.issues))
    return checker.result


class _Checker(ConditionVisitor[None]):
    def __init__(self, grain: str, context: Context) -> None:
        self.grain = grain
        self.catalog = context.catalog
        self.grains = context.grains
        self.lists_dir = context.lists_dir
        self.lists_display = context.lists_display
        self.result = SegmentCheck()
        self.path: YamlPath = ()  # of the condition being checked

    def issue(self, path: YamlPath, message: str) -> None:
        self.result.issues.append((path, message))

    def check(self, condition: Any, path: YamlPath) -> None:
        outer, self.path = self.path, path
        try:
            self.visit(condition)
        finally:
            self.path = outer

    def visit_all(self, condition: AllOf | AnyOf) -> None:
        for index, child in enumerate(condition.conditions):
            self.check(child, (*self.path, condition_key(condition), index))

    visit_any = visit_all

    def visit_not(self, condition: Not) -> None:
        self.check(condition.condition, (*self.path, "not"))

    def visit_attribute(self, condition: AttributeFilter) -> None:
        grain = self.grain
        self.attribute(condition, self.path, self.catalog.columns(grain), f"{grain} grain")

    def visit_trait(self, condition: TraitFilter) -> None:
        self.json_value(condition, self.path)

    def visit_performed(self, condition: Performed | NotPerformed) -> None:
        key = condition_key(condition)
        self.same_session(condition.same_session, (*self.path, key, "same_session"))
        self.event_filters(condition.event, condition.where, (*self.path, key))

    visit_not_performed = visit_performed

    def visit_aggregate(self, condition: Aggregate) -> None:
        path = (*self.path, "aggregate")
        measure = condition.measure
        self.same_session(measure.same_session, (*path, "same_session"))
        if measure.column is None:
            return
        if self.grain == "session":
            self.issue(
                (*path, "column"),
                "a sessions column is aggregated over a user's or an account's sessions: not at "
                "session grain (there, filter the column with attribute)",
            )
            return
        column = self.catalog.sessions.get(measure.column)
        if column is None or column.kind != "number":
            numbers = [name for name, col in self.catalog.sessions.items() if col.kind == "number"]
            what = "unknown" if column is None else f"{column.data_type}, not a number:"
            self.issue(
                (*path, "column"),
                f"{what} sessions column '{measure.column}' (numeric columns: "
                f"{', '.join(numbers)})" + did_you_mean(measure.column, numbers),
            )

    def visit_sessions(self, condition: HadSessions) -> None:
        path = (*self.path, "sessions")
        if self.grain == "session":
            self.issue(path, "sessions applies at user or account grain (their sessions)")
            return
        for index, where in enumerate(condition.where):
            self.attribute(where, (*path, "where", index), dict(self.catalog.sessions), "sessions")
        if condition.in_segment is not None:
            self.reference(condition.in_segment, (*path, "in_segment"), required_grain="session")

    def _nothing_to_check(self, condition: Any) -> None:
        """Conditions whose file alone shows all that can be wrong with them."""

    def visit_first_time(self, condition: FirstTime) -> None:
        if anchored(condition.window) is not None:
            self.issue(
                (*self.path, "first_time", "window"),
                "first_time needs a last_days, last_hours or between window "
                "(a first occurrence has no anchor of its own)",
            )

    visit_regularly = visit_stopped = _nothing_to_check
    visit_restarted = visit_changed = _nothing_to_check

    def same_session(self, value: bool | None, path: YamlPath) -> None:
        if value is not None and self.grain != "session":
            self.issue(path, "same_session applies only at session grain")

    def visit_sequence(self, sequence: Sequence) -> None:
        path = (*self.path, "sequence")
        if self.grain == "session" and sequence.within not in (None, "same_session"):
            self.issue(
                (*path, "within"),
                "at session grain a sequence is within the member session: "
                "use within: same_session",
            )
        for index, step in enumerate(sequence.steps):
            if isinstance(step, EventStep):
                self.event_filters(step.event, step.where, (*path, "steps", index))
        for index, where in enumerate(sequence.session_where):
            self.attribute(
                where, (*path, "session_where", index), dict(self.catalog.sessions), "sessions"
            )

    def attribute(
        self, where: AttributeFilter, path: YamlPath, columns: Mapping[str, Column], scope: str
    ) -> None:
        column = columns.get(where.attribute)
        if column is None:
            self.issue(
                (*path, "attribute"),
                f"unknown column '{where.attribute}' for {scope}"
                + did_you_mean(where.attribute, list(columns)),
            )
            return
        # Named as written (`user.plan` at session grain).
        self.comparison(
            where, path, Column(where.attribute, column.data_type, column.kind), "column"
        )

    def json_value(self, where: PropertyFilter | TraitFilter, path: YamlPath) -> None:
        """An event property or a trait, compared as the kind its type or values give it."""
        noun = "trait" if isinstance(where, TraitFilter) else "property"
        name = where.trait if isinstance(where, TraitFilter) else where.property
        self.comparison(where, path, Column(name, where.kind, where.kind), noun)

    def event_filters(
        self, event: str, where: tuple[PropertyFilter | TraitFilter, ...], path: YamlPath
    ) -> None:
        for index, item in enumerate(where):
            item_path = (*path, "where", index)
            if isinstance(item, TraitFilter) and self.grain == "account":
                self.issue(
                    (*item_path, "trait"),
                    "an event's trait filter is about one user: at account grain, use "
                    "members: {where: ...} for members with the trait",
                )
                continue
            if isinstance(item, PropertyFilter) and item.page_field(event) is not None:
                # Page fields are text columns, whatever the filter's values suggest.
                if item.type not in (None, "text"):
                    self.issue(
                        (*item_path, "type"),
                        f"page field '{item.property}' is text: remove type {item.type}",
                    )
                self.comparison(item, item_path, Column(item.property, "text", "text"), "field")
            else:
                self.json_value(item, item_path)

    def comparison(self, where: Any, path: YamlPath, column: Column, noun: str) -> None:
        """The operator, values and case_sensitive of a filter on `column` (a `noun`: column,
        property or trait) fit the column's kind."""
        operator = where.operator
        allowed = OPERATORS_BY_KIND[column.kind]
        if operator not in allowed:
            options = [str(op) for op in Operator if op in allowed]
            self.issue(
                (*path, operator.value),
                f"operator '{operator}' does not apply to {column.data_type} {noun} "
                f"'{column.name}' (use {', '.join(options[:-1])} or {options[-1]})",
            )
            return
        if operator not in SET_OPERATORS:
            self.values(where, column, noun, (*path, operator.value))
        if "case_sensitive" in where.model_fields_set and column.kind != "text":
            self.issue(
                (*path, "case_sensitive"),
                f"case_sensitive applies only to text {noun}s; '{column.name}' is "
                f"{column.data_type}",
            )

    def values(self, where: Any, column: Column, noun: str, path: YamlPath) -> None:
        kind, expected = _VALUE_KINDS[column.kind]
        accepted = {kind}
        if column.kind == "timestamp" and where.operator in ORDER_OPERATORS:
            accepted.add("relative")
            expected += " or a relative time like {days_ago: 7}"
        value = where.value
        for item in value if isinstance(value, tuple) else (value,):
            if (
                column.kind == "timestamp"
                and where.operator in EQUALITY_OPERATORS
                and (value_kind(item) == "instant" and not isinstance(item, datetime))
            ):
                self.issue(
                    path,
                    f"{noun} '{column.name}' is a timestamp and {item} a whole day: use "
                    f"between: [{item}, {item}] (equals compares instants)",
                )
                return
            if value_kind(item) not in accepted:
                shown = "a relative time" if isinstance(item, RelativeTime) else describe(item)
                hint = quoting_hint(column.kind == "text", item)
                self.issue(
                    path,
                    f"{noun} '{column.name}' is {column.data_type}: expected {expected}, "
                    f"got {shown}{hint}",
                )
                return

    def visit_members(self, condition: Members) -> None:
        path = (*self.path, "members")
        if self.grain != "account":
            self.issue(
                path, f"members applies at account grain (this segment has {self.grain} grain)"
            )
            return
        if condition.where is not None:
            self.nested(condition.where, "user", (*path, "where"))

    def visit_account(self, condition: OfAccount) -> None:
        path = (*self.path, "account")
        if self.grain == "account":
            self.issue(path, "account applies at user or session grain (a member's account)")
            return
        self.nested(condition.condition, "account", path)

    def nested(self, condition: Any, grain: str, path: YamlPath) -> None:
        """A condition at another grain (a member's, an account's), checked as such."""
        outer, self.grain = self.grain, grain
        try:
            self.check(condition, path)
        finally:
            self.grain = outer

    def visit_in_segment(self, condition: InSegment) -> None:
        self.reference(condition.segment, (*self.path, "in_segment"))

    def reference(self, name: str, path: YamlPath, required_grain: str | None = None) -> None:
        """Another segment used by this one: it exists (and has `required_grain` if given)."""
        self.result.references.append(Reference(name, path))
        if name not in self.grains:
            self.issue(path, f"unknown segment '{name}'" + did_you_mean(name, list(self.grains)))
            return
        other = self.grains[name]
        if required_grain is not None and other is not None and other != required_grain:
            self.issue(
                path, f"segment '{name}' has {other} grain: expected a {required_grain} segment"
            )

    def visit_in_list(self, condition: InList) -> None:
        path = (*self.path, "in_list")
        if self.grain != "user":
            self.issue(
                path,
                f"in_list applies only at user grain (this segment has {self.grain} grain)",
            )
            return
        csv_path = self.lists_dir / f"{condition.list}.csv"
        if not csv_path.is_file():
            self.issue(
                (*path, "list"),
                f"list '{condition.list}' not found: expected {self.lists_display}/"
                f"{condition.list}.csv",
            )
            return
        try:
            columns = _csv_header(csv_path)
        except ValueError as error:
            self.issue(
                (*path, "list"),
                f"list '{condition.list}' ({self.lists_display}/{condition.list}.csv): {error}",
            )
            return
        if condition.by not in columns:
            self.issue(
                (*path, "by"),
                f"list '{condition.list}' has no column '{condition.by}' "
                f"(columns: {', '.join(columns) or 'none'})",
            )


def _csv_header(path: Path) -> list[str]:
    """The column names of a list CSV (its first row, each stripped). Raise ValueError naming the
    line when the file cannot load as a seed: not UTF-8, a NUL (PostgreSQL refuses it), or a
    header row Python's csv module refuses (a field over its size limit)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValueError(f"line {line} is not UTF-8 text ({error.reason})") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ValueError(f"line {line} holds U+0000 (NUL), which warehouses cannot store in text")
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as error:
        raise ValueError(f"line 1 is not a CSV header ({error})") from None
    return [name.strip() for name in header]
