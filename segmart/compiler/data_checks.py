"""Generated checks of the registry against the data, refreshed with the segments:

- segment_filter_values: every text value a segment compares with (equals / not_equals / in /
  not_in on text columns, traits and event properties, and every event name), and whether it
  occurs in the data. A value that
  never occurs is most likely misspelled ("Moblie", "order_complete"): the catalog warns.
- segment_list_unmatched: the rows of imported CSV lists (in_list) whose user id or email matches
  no known user, so a list import never drops ids silently.

Values reach SQL only through segmart.sql.literal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from segmart.compiler.conditions import (
    ACCOUNTS,
    EVENTS,
    LIST_KEYS,
    SESSIONS,
    USERS,
    identify_calls,
    json_text,
    list_seed,
)
from segmart.compiler.sqltext import BOOLEAN_TYPE, STRING_TYPE, empty_select, indent, jinja
from segmart.registry.catalog import Catalog
from segmart.registry.loader import Registry
from segmart.registry.models import (
    EQUALITY_OPERATORS,
    Aggregate,
    AllOf,
    AnyOf,
    AttributeFilter,
    Changed,
    ConditionVisitor,
    EventStep,
    FirstTime,
    HadSessions,
    InList,
    InSegment,
    Members,
    Not,
    NotPerformed,
    OfAccount,
    Performed,
    PropertyFilter,
    Regularly,
    Restarted,
    Segment,
    Sequence,
    Stopped,
    TraitFilter,
    anchored,
    iter_conditions,
)
from segmart.sql import identifier, literal

FILTER_VALUES_MODEL = "segment_filter_values"
LIST_UNMATCHED_MODEL = "segment_list_unmatched"

_TABLES = {"sessions": SESSIONS, "users": USERS, "accounts": ACCOUNTS, "events": EVENTS}
# The table a segment's attribute filters read, by grain.
MEMBER_TABLE = {"session": "sessions", "user": "users", "account": "accounts"}
# Aliases other than the table's name: sqlfluff reads "accounts" as a keyword.
_ALIASES = {"accounts": "account_rows"}


@dataclass(frozen=True)
class FilterValue:
    segment: str
    table: str  # sessions, users, accounts or events
    column: str
    value: str
    case_sensitive: bool


def segment_filter_values(segment: Segment, catalog: Catalog) -> list[FilterValue]:
    """The text values `segment` compares with, in registry order, without repeats."""
    return list(
        dict.fromkeys(
            _FilterValues(segment, MEMBER_TABLE[segment.grain], catalog).visit(segment.where)
        )
    )


class _FilterValues(ConditionVisitor[Iterator[FilterValue]]):
    """The values of one condition: its event names (with the anchor event of a
    anchored window) and its attributes' text values, on `table` by default."""

    def __init__(self, segment: Segment, table: str, catalog: Catalog) -> None:
        self.segment = segment
        self.table = table
        self.catalog = catalog

    def events(self, *names: str | None) -> Iterator[FilterValue]:
        for name in names:
            if name is not None:
                yield FilterValue(self.segment.name, "events", "event_name", name, True)

    def visit_all(self, condition: AllOf | AnyOf) -> Iterator[FilterValue]:
        for child in condition.conditions:
            yield from self.visit(child)

    visit_any = visit_all

    def visit_not(self, condition: Not) -> Iterator[FilterValue]:
        return self.visit(condition.condition)

    def visit_attribute(self, condition: AttributeFilter) -> Iterator[FilterValue]:
        return _attribute_values(self.segment, condition, self.table, self.catalog)

    def visit_trait(self, condition: TraitFilter) -> Iterator[FilterValue]:
        # An account's traits are its group calls' (group_traits), a user's its identify calls'.
        document = "group_traits" if self.table == "accounts" else "traits"
        return self.json_values(f"{document}.{condition.trait}", condition)

    def json_values(self, column: str, item: PropertyFilter | TraitFilter) -> Iterator[FilterValue]:
        """The text values of a property or trait filter, on events' `column`."""
        if item.kind == "text" and item.operator in EQUALITY_OPERATORS:
            for value in item.values:
                yield FilterValue(self.segment.name, "events", column, value, item.case_sensitive)

    def event_filters(self, event: str, where) -> Iterator[FilterValue]:
        for item in where:
            if isinstance(item, TraitFilter):
                yield from self.visit_trait(item)
            elif item.page_field(event) is not None:
                yield from self.json_values(item.page_field(event), item)
            else:
                yield from self.json_values(f"properties.{item.property}", item)

    def visit_performed(self, condition: Performed | NotPerformed) -> Iterator[FilterValue]:
        yield from self.events(condition.event, _anchor(condition.window))
        yield from self.event_filters(condition.event, condition.where)

    visit_not_performed = visit_performed

    def visit_first_time(self, condition: FirstTime) -> Iterator[FilterValue]:
        return self.events(condition.event, _anchor(condition.window))

    def visit_sequence(self, condition: Sequence) -> Iterator[FilterValue]:
        yield from self.events(*(step.event for step in condition.steps))
        yield from self.events(_anchor(condition.window))
        for step in condition.steps:
            if isinstance(step, EventStep):
                yield from self.event_filters(step.event, step.where)
        for where in condition.session_where:
            yield from _attribute_values(self.segment, where, "sessions", self.catalog)

    def visit_regularly(self, condition: Regularly | Stopped | Restarted) -> Iterator[FilterValue]:
        return self.events(condition.event)

    visit_stopped = visit_restarted = visit_regularly

    def visit_changed(self, condition: Changed) -> Iterator[FilterValue]:
        measure = condition.measure
        return self.events(None if measure == "sessions" else measure.event)

    def visit_aggregate(self, condition: Aggregate) -> Iterator[FilterValue]:
        return self.events(condition.measure.event, _anchor(condition.measure.window))

    def visit_sessions(self, condition: HadSessions) -> Iterator[FilterValue]:
        yield from self.events(_anchor(condition.window))
        for where in condition.where:
            yield from _attribute_values(self.segment, where, "sessions", self.catalog)

    def visit_in_segment(self, condition: InSegment | InList) -> Iterator[FilterValue]:
        return iter(())

    visit_in_list = visit_in_segment

    def visit_members(self, condition: Members) -> Iterator[FilterValue]:
        if condition.where is None:
            return iter(())
        return _FilterValues(self.segment, "users", self.catalog).visit(condition.where)

    def visit_account(self, condition: OfAccount) -> Iterator[FilterValue]:
        return _FilterValues(self.segment, "accounts", self.catalog).visit(condition.condition)


def _anchor(window: object) -> str | None:
    """The event an anchored window (relative_to, within_hours_after) is anchored on."""
    relative = anchored(window)
    return relative.relative_to if relative is not None else None


def _attribute_values(
    segment: Segment, item: AttributeFilter, table: str, catalog: Catalog
) -> Iterator[FilterValue]:
    table = "users" if item.is_user_column else table
    column = getattr(catalog, table)[item.column]
    if column.kind != "text" or item.operator not in EQUALITY_OPERATORS:
        return
    for value in item.value:
        if isinstance(value, str):
            yield FilterValue(segment.name, table, column.name, value, item.case_sensitive)


# --- segment_filter_values ----------------------------------------------------------------------


def filter_values_sql(registry: Registry, catalog: Catalog) -> str:
    values = [value for segment in registry for value in segment_filter_values(segment, catalog)]
    listed = "\nunion all\n".join(_value_row(value) for value in values) or empty_select(
        {
            "segment_name": STRING_TYPE,
            "table_name": STRING_TYPE,
            "column_name": STRING_TYPE,
            "filter_value": STRING_TYPE,
            "case_sensitive": BOOLEAN_TYPE,
        }
    )
    columns = sorted({(value.table, value.column) for value in values})
    observed = "\nunion all\n".join(
        _observed_select(table, column) for table, column in columns
    ) or empty_select(
        {"table_name": STRING_TYPE, "column_name": STRING_TYPE, "observed_value": STRING_TYPE}
    )
    return (
        _HEADER
        + "-- Each text value a segment compares with, and whether it occurs in the data.\n\n"
        + "with\n\n"
        + f"filter_values as (\n{indent(listed)}\n),\n\n"
        + f"observed_values as (\n{indent(observed)}\n),\n\n"
        # The comparison is the same for every registry: a macro (macros/segments).
        + "final as (\n"
        + indent(jinja("segmart.filter_value_occurrences('filter_values', 'observed_values')"))
        + "\n)\n\n"
        + "select * from final\n"
    )


def _value_row(value: FilterValue) -> str:
    return "select\n" + indent(
        f"{literal(value.segment)} as segment_name,\n"
        f"{literal(value.table)} as table_name,\n"
        f"{literal(value.column)} as column_name,\n"
        f"{literal(value.value)} as filter_value,\n"
        f"{literal(value.case_sensitive)} as case_sensitive"
    )


def _observed_select(table: str, column: str) -> str:
    """The distinct values of one column (scanned once however many segments filter on it):
    `traits.<path>` and `properties.<path>` name values inside events' JSON (traits as identify
    calls set them; `group_traits.<path>`, as group calls set them)."""
    document, _, path = column.partition(".")
    only = ""
    if path:
        value = json_text(table, path, "properties" if document == "properties" else "traits")
        if document == "traits":
            only = f"\nwhere {identify_calls(table)}"
        elif document == "group_traits":
            only = f"\nwhere {table}.message_type = 'group'"
    else:
        value = f"cast({_ALIASES.get(table, table)}.{identifier(column)} as {STRING_TYPE})"
    return (
        "select distinct\n"
        + indent(
            f"{literal(table)} as table_name,\n"
            f"{literal(column)} as column_name,\n"
            f"{value} as observed_value"
        )
        + f"\nfrom {_TABLES[table]} as {_ALIASES.get(table, table)}{only}"
    )


# --- segment_list_unmatched ---------------------------------------------------------------------


def list_unmatched_sql(registry: Registry) -> str:
    uses = sorted(
        {
            (segment.name, condition.list, condition.by)
            for segment in registry
            for condition in iter_conditions(segment.where)
            if isinstance(condition, InList)
        }
    )
    body = "\nunion all\n".join(_unmatched_select(*use) for use in uses) or empty_select(
        {
            "segment_name": STRING_TYPE,
            "list_name": STRING_TYPE,
            "matched_by": STRING_TYPE,
            "listed_value": STRING_TYPE,
        }
    )
    return (
        _HEADER + "-- Rows of imported lists (seeds/segment_lists/) that match no known user.\n"
        "\n"
        "with\n"
        "\n"
        f"unmatched as (\n{indent(body)}\n)\n"
        "\n"
        "select * from unmatched\n"
    )


def _unmatched_select(segment: str, list_name: str, by: str) -> str:
    user_key, listed_key = LIST_KEYS[by]
    return (
        "select\n"
        + indent(
            f"{literal(segment)} as segment_name,\n"
            f"{literal(list_name)} as list_name,\n"
            f"{literal(by)} as matched_by,\n"
            f"cast(listed.{identifier(by)} as {STRING_TYPE}) as listed_value"
        )
        + f"\nfrom {list_seed(list_name)} as listed\n"
        "where not exists (\n"
        + indent(f"select 1 from {USERS} as users\nwhere {user_key} = {listed_key}")
        + "\n)"
    )


_HEADER = "-- Generated by `segmart compile` from segments/. Do not edit.\n"
