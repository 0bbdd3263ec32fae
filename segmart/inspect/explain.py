"""`segmart explain NAME`: how many members each condition keeps, to find why a segment is empty.

Every node of the condition tree (all / any / not and each leaf) is counted alone over the
grain's population; each child of an `all` also gets the count so far, as the children are ANDed
in order, so the filter that drops everyone shows. A leaf that keeps no one is flagged and, for an
equals/in text filter (a column's or a trait's) or a performed event, the closest actual values
are suggested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from segmart.compiler.sqltext import combine
from segmart.inspect.context import Inspection
from segmart.inspect.describe import amount, describe, value_text
from segmart.inspect.queries import closest_values_query, count_query, grain_of, predicate
from segmart.inspect.readonly import fetch
from segmart.inspect.render import AS_OF_QUERY
from segmart.registry import (
    AllOf,
    AnyOf,
    AttributeFilter,
    ConditionVisitor,
    Not,
    Performed,
    TraitFilter,
)


@dataclass
class Node:
    depth: int
    text: str
    condition: object
    count: int = 0
    so_far: int | None = None  # children of an `all`: members of it and the children before it
    closest: list[tuple[str, int]] = field(default_factory=list)  # for a leaf keeping no one
    children: list[Node] = field(default_factory=list)
    empties_the_group: bool = False  # the first `all` child after which no one is left

    @property
    def is_group(self) -> bool:
        return isinstance(self.condition, AllOf | AnyOf | Not)


@dataclass(frozen=True)
class Explanation:
    name: str
    grain: str
    as_of: datetime
    population: int
    nodes: list[Node]


class _Plan(ConditionVisitor[list[Node]]):
    """The queries to render, and where each answer goes."""

    def __init__(self, inspection: Inspection) -> None:
        self.inspection = inspection
        self.grain = grain_of(inspection.segment)
        self.queries = [AS_OF_QUERY, count_query(self.grain)]
        self.nodes: list[Node] = []
        self.slots: list[tuple[int, Node, str]] = []  # (query index, node, attribute)
        self.depth = 0  # of the children being planned

    def add(self, query: str, node: Node, attribute: str) -> None:
        self.slots.append((len(self.queries), node, attribute))
        self.queries.append(query)

    def predicate(self, condition) -> str:
        inspection = self.inspection
        return predicate(inspection.segment, condition, inspection.registry, inspection.catalog)

    def node(self, condition, depth: int, test: str, before: list[str] | None) -> Node:
        """Count `condition` (its SQL `test`); `before`: the tests of earlier `all` siblings."""
        node = Node(depth, describe(condition), condition)
        self.nodes.append(node)
        catalog = self.inspection.catalog
        self.add(count_query(self.grain, [test], catalog), node, "count")
        if before:  # the first child's count so far is its own count
            so_far = combine("and", [*before, test])
            self.add(count_query(self.grain, [so_far], catalog), node, "so_far")
        closest = closest_values_query(self.inspection.segment, condition, self.inspection.catalog)
        if closest is not None:
            self.add(closest, node, "closest")
        outer, self.depth = self.depth, depth + 1
        node.children = self.visit(condition)
        self.depth = outer
        return node

    # The children's nodes of a group (a leaf has none), one level below it.

    def visit_all(self, condition: AllOf) -> list[Node]:
        tests = [self.predicate(child) for child in condition.conditions]
        return [
            self.node(child, self.depth, tests[number], tests[:number])
            for number, child in enumerate(condition.conditions)
        ]

    def visit_any(self, condition: AnyOf) -> list[Node]:
        return [
            self.node(child, self.depth, self.predicate(child), None)
            for child in condition.conditions
        ]

    def visit_not(self, condition: Not) -> list[Node]:
        inner = condition.condition
        return [self.node(inner, self.depth, self.predicate(inner), None)]

    def _leaf(self, condition) -> list[Node]:
        return []

    visit_attribute = visit_trait = visit_performed = visit_not_performed = _leaf
    visit_sequence = visit_first_time = visit_regularly = visit_stopped = visit_restarted = _leaf
    visit_changed = visit_aggregate = visit_in_segment = visit_sessions = visit_in_list = _leaf
    # Conditions about other members (an account's users, a user's account): counted whole.
    visit_members = visit_account = _leaf


def explain(inspection: Inspection) -> Explanation:
    plan = _Plan(inspection)
    where = inspection.segment.where
    plan.node(where, 0, plan.predicate(where), None)
    rendered = inspection.render(plan.queries)
    with inspection.connect() as connection:
        as_of = fetch(connection, rendered[0])[1][0][0]
        population = fetch(connection, rendered[1])[1][0][0]
        for index, node, attribute in plan.slots:
            rows = fetch(connection, rendered[index])[1]
            if attribute == "closest":
                node.closest = [(str(value), count) for value, count in rows]
            else:
                setattr(node, attribute, rows[0][0])
    for node in plan.nodes:
        if node.count or _matches(node):
            node.closest = []  # suggestions only where a value is likely misspelled
        if isinstance(node.condition, AllOf):
            _mark_emptying_child(node)
    segment = inspection.segment
    return Explanation(segment.name, segment.grain, as_of, population, plan.nodes)


def _mark_emptying_child(group: Node) -> None:
    group.children[0].so_far = group.children[0].count
    for child in group.children:
        if child.so_far == 0:
            child.empties_the_group = child.count > 0
            return


def _matches(node: Node) -> bool:
    """Does an actual value equal a wanted one (then the filter is not misspelled)?"""
    if not node.closest:  # only equals / in text filters and events have suggestions
        return False
    condition = node.condition
    if isinstance(condition, Performed):
        wanted, fold = {condition.event}, False
    elif isinstance(condition, AttributeFilter | TraitFilter):
        fold = not condition.case_sensitive
        wanted = {str(value) for value in condition.value}
    else:
        return False
    found = {value for value, _ in node.closest}
    if fold:
        wanted, found = {v.lower() for v in wanted}, {v.lower() for v in found}
    return bool(wanted & found)


def format_explanation(result: Explanation) -> str:
    """Counts first, then the condition indented like the tree (long conditions stay readable)."""
    counts_header, so_far_header = f"{result.grain}s", "so far (and)"
    width = max(len(counts_header), *(len(f"{node.count:,}") for node in result.nodes))
    lines = [
        f"{result.name}: {result.grain} grain, as of {result.as_of}",
        f"population: {amount(result.population, result.grain)}",
        "",
        f"{counts_header:>{width}}  {so_far_header}  condition",
    ]
    for node in result.nodes:
        so_far = "" if node.so_far is None else f"{node.so_far:,}"
        tree = "  " * node.depth
        line = f"{node.count:>{width},}  {so_far:>{len(so_far_header)}}  {tree}{node.text}"
        note = _note(node)
        lines.append(f"{line}  {note}" if note else line)
        if node.closest:
            blank = " " * (width + len(so_far_header) + 4)
            lines.append(f"{blank}{tree}    closest actual {_closest_text(node, result.grain)}")
    lines += ["", f"members: {amount(result.nodes[0].count, result.grain)}"]
    return "\n".join(lines)


def _closest_text(node: Node, grain: str) -> str:
    condition = node.condition
    what = "event names" if isinstance(condition, Performed) else "values"
    unit = "event" if isinstance(condition, Performed) else grain
    if isinstance(condition, AttributeFilter) and condition.is_user_column:
        unit = "user"
    if isinstance(condition, TraitFilter):
        unit = "identify call"
    values = ", ".join(
        f"{value_text(value)} ({amount(count, unit)})" for value, count in node.closest
    )
    return f"{what}: {values}"


def _note(node: Node) -> str:
    if node.count == 0 and not node.is_group:
        return "<- keeps no one"
    if node.empties_the_group:
        return "<- no one left after this"
    return ""
