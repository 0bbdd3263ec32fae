"""The dbt-Jinja queries the analyst commands render: a segment's members from its registry
definition, counts of members satisfying a condition, and the values closest to a filter's."""

from __future__ import annotations

from segmart.compiler.conditions import (
    ACCOUNT,
    EVENTS,
    GRAINS,
    USER,
    ConditionCompiler,
    Grain,
    identify_calls,
    json_text,
    where_clause,
)
from segmart.compiler.models import MEMBER_COLUMNS, MEMBER_TABLES, account_sources
from segmart.compiler.sqltext import indent
from segmart.registry import (
    AttributeFilter,
    Catalog,
    Operator,
    Performed,
    Registry,
    Segment,
    TraitFilter,
)
from segmart.sql import identifier, literal


def grain_of(segment: Segment) -> Grain:
    return grain_of_name(segment.grain)


def grain_of_name(name: str) -> Grain:
    return GRAINS[name]


def member_key(grain: Grain) -> str:
    """The member's key column: session_id, visitor_id or account_id."""
    return grain.key


class DefinitionCompiler(ConditionCompiler):
    """The segment compiler, except that a referenced segment's members come from its registry
    definition rather than its materialized table: what a refresh would compute now, also when
    the referenced segment was edited too or is not built yet."""

    def segment_members(self, name: str, key: str) -> str:
        return members_query(self.registry[name], self.registry, self.catalog, (key,))


def predicate(segment: Segment, condition, registry: Registry, catalog: Catalog) -> str:
    """One condition of the segment (its `where` or any part of it) as SQL on the member row."""
    compiler = DefinitionCompiler(grain_of(segment), catalog, segment.name, registry)
    return compiler.visit(condition)


def select_from(
    grain: Grain, columns: list[str], tests: list[str] | None = None, catalog: Catalog | None = None
) -> str:
    """select columns from the grain's mart (sessions, users or accounts), where all tests hold
    (with the account behaviour CTEs they read: `catalog` is needed then)."""
    lines = [
        "select",
        indent(",\n".join(columns)),
        f"from {MEMBER_TABLES[grain.name]} as {grain.alias}",
    ]
    if tests:
        lines.append(where_clause(tests))
    query = "\n".join(lines)
    ctes = account_sources(query, catalog) if catalog is not None else []
    if not ctes:
        return query
    return "with\n\n" + ",\n\n".join(ctes) + "\n\n" + query


def members_query(
    segment: Segment, registry: Registry, catalog: Catalog, columns: tuple[str, ...] | None = None
) -> str:
    """The segment's members (the member columns of its table) from its registry definition."""
    grain = grain_of(segment)
    columns = columns or MEMBER_COLUMNS[segment.grain]
    test = predicate(segment, segment.where, registry, catalog)
    return select_from(grain, [f"{grain.alias}.{identifier(c)}" for c in columns], [test], catalog)


def count_query(
    grain: Grain, tests: list[str] | None = None, catalog: Catalog | None = None
) -> str:
    """How many members of the grain (sessions or users) pass every test."""
    return select_from(grain, ["count(*) as members"], tests, catalog)


# --- the values closest to a filter's, for a filter that keeps no one -------------------------

CLOSEST = 3


def closest_values_query(segment: Segment, condition, catalog: Catalog) -> str | None:
    """For an equals/in text attribute or trait filter or a performed event: the actual values
    (value, how many rows have it) most similar to the wanted ones, else None."""
    if isinstance(condition, Performed):
        return _closest(EVENTS, "events", "events.event_name", [condition.event])
    if not isinstance(condition, AttributeFilter | TraitFilter):
        return None
    if condition.operator not in (Operator.EQUALS, Operator.IN):
        return None
    wanted = list(condition.value)
    if isinstance(condition, TraitFilter):
        if condition.kind != "text":
            return None
        value = json_text("events", condition.trait, "traits")
        calls = (
            "events.message_type = 'group'"
            if segment.grain == ACCOUNT.name
            else identify_calls("events")
        )
        return _closest(EVENTS, "events", value, wanted, [calls])
    table = USER if condition.is_user_column else GRAINS[segment.grain]
    column = catalog.columns(table.name)[condition.column.removeprefix("user.")]
    if column.kind != "text":
        return None
    value = f"{table.alias}.{identifier(column.name)}"
    return _closest(MEMBER_TABLES[table.name], table.alias, value, wanted)


def _closest(source: str, alias: str, value: str, wanted: list[str], tests=()) -> str:
    """The values of `value` (SQL on `alias`) most like the wanted ones, among rows passing
    `tests`. Similarity ignores case: a case slip is a likely misspelling too."""
    similarity = ", ".join(
        f"jaro_winkler_similarity(lower({value}), {literal(str(w).lower())})" for w in wanted
    )
    return "\n".join(
        [
            "select",
            indent(f"{value} as value,\ncount(*) as occurrences"),
            f"from {source} as {alias}",
            where_clause([*tests, f"{value} is not null", f"{value} <> ''"]),
            f"group by {value}",
            f"order by max(greatest({similarity})) desc, occurrences desc, value",
            f"limit {CLOSEST}",
        ]
    )
