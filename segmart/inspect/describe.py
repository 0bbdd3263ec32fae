"""A condition of the registry as one short readable line (`attribute utm_medium equals cpc`),
in the words of its YAML keys so an analyst finds it in the file."""

from __future__ import annotations

import json
from datetime import date, datetime

from segmart.registry import (
    Aggregate,
    AllOf,
    AnyOf,
    AttributeFilter,
    Between,
    Changed,
    ConditionVisitor,
    Duration,
    EventStep,
    FirstTime,
    HadSessions,
    InList,
    InSegment,
    LastDays,
    LastHours,
    Members,
    Not,
    NotPerformed,
    OfAccount,
    Performed,
    PropertyFilter,
    Regularly,
    RelativeTime,
    Restarted,
    Sequence,
    Stopped,
    TraitFilter,
    anchored,
    condition_key,
)


def describe(condition) -> str:
    """The condition alone (a group is its keyword: all, any, not)."""
    return _Words().visit(condition)


def comparison(item: AttributeFilter | PropertyFilter | TraitFilter) -> str:
    """`equals cpc`, `between 1 and 5`, `is set`; `(case-sensitive)` when it is, `(as number)`
    when a property or trait has a declared type."""
    operator = item.operator.value.replace("_", " ")
    value = item.value
    if item.operator.value in ("is_set", "is_not_set"):
        text = operator
    elif item.operator.value == "between":
        text = f"{operator} {value_text(value[0])} and {value_text(value[1])}"
    elif isinstance(value, tuple):
        text = f"{operator} {', '.join(value_text(v) for v in value)}"
    else:
        text = f"{operator} {value_text(value)}"
    if item.case_sensitive:
        text += " (case-sensitive)"
    if isinstance(item, PropertyFilter | TraitFilter) and item.type is not None:
        text += f" (as {item.type})"
    return text


def value_text(value: object) -> str:
    """A registry value as written; text is quoted only when its edges or commas would hide it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, RelativeTime):
        if value.hours_ago is not None:
            return f"{value.hours_ago} hours ago"
        return f"{value.days_ago} days ago"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        plain = value and value == value.strip() and "," not in value and '"' not in value
        return value if plain else json.dumps(value, ensure_ascii=False)
    return str(value)


def window(value) -> str:
    if value is None:
        return "ever"
    if isinstance(value, LastDays):
        return f"in the last {value.last_days} days"
    if isinstance(value, LastHours):
        return f"in the last {value.last_hours} hours"
    if isinstance(value, Between):
        start, end = value.between
        return f"between {value_text(start)} and {value_text(end)}"
    relative = anchored(value)
    if relative is not None:
        span = duration(relative.duration)
        occurrence = "any" if relative.occurrence == "every" else f"the {relative.occurrence}"
        return f"within {span} {relative.direction} {occurrence} {relative.relative_to}"
    return str(value)


def duration(value: Duration) -> str:
    """`30 minutes`, `1 day`."""
    return amount(value.amount, value.unit)


def _step(step) -> str:
    text = _event(step.event, step.where) if isinstance(step, EventStep) else f"not {step.event}"
    return f"{text} (within {duration(step.within)})" if step.within else text


def _attributes(items: tuple[AttributeFilter, ...]) -> str:
    return " and ".join(f"{item.attribute} {comparison(item)}" for item in items)


def _where(items) -> str:
    return " and ".join(f"{_filtered(item)} {comparison(item)}" for item in items)


def _filtered(item: PropertyFilter | TraitFilter) -> str:
    """What an event filter reads: a property, or the trait as it was at the event."""
    return f"trait {item.trait}" if isinstance(item, TraitFilter) else item.property


def _event(event: str, where) -> str:
    return f"{event} where {_where(where)}" if where else event


class _Words(ConditionVisitor[str]):
    def _keyword(self, condition: AllOf | AnyOf | Not) -> str:
        return condition_key(condition)

    visit_all = visit_any = visit_not = _keyword

    def visit_attribute(self, condition: AttributeFilter) -> str:
        return f"attribute {condition.attribute} {comparison(condition)}"

    def visit_trait(self, condition: TraitFilter) -> str:
        return f"trait {condition.trait} {comparison(condition)}"

    def visit_performed(self, condition: Performed) -> str:
        times = condition.times
        if times.bound != "at_least":
            how_often = f"{times.bound.replace('_', ' ')} {times.count} times"
        else:
            how_often = f"at least {times.count} times" if times.count != 1 else ""
        return _behaviour("performed", condition, how_often)

    def visit_not_performed(self, condition: NotPerformed) -> str:
        return _behaviour("did not perform", condition, "")

    def visit_sequence(self, condition: Sequence) -> str:
        steps = [_step(step) for step in condition.steps]
        parts = [f"sequence {' then '.join(steps)}"]
        if condition.within == "same_session":
            parts.append("within the same session")
        elif isinstance(condition.within, Duration):
            parts.append(f"each step within {duration(condition.within)}")
        if condition.window is not None:
            parts.append(f"first step {window(condition.window)}")
        if condition.session_where:
            parts.append(f"session {_attributes(condition.session_where)}")
        return ", ".join(parts)

    def visit_sessions(self, condition: HadSessions) -> str:
        words = ["sessions"]
        if condition.in_segment is not None:
            words.append(f"in segment {condition.in_segment}")
        if condition.where:
            words.append(f"where {_attributes(condition.where)}")
        times = condition.times
        if not (times.bound == "at_least" and times.count == 1):
            words.append(f"{times.bound.replace('_', ' ')} {times.count} times")
        if condition.window is not None:
            words.append(window(condition.window))
        return " ".join(words)

    def visit_first_time(self, condition: FirstTime) -> str:
        return f"first time {condition.event} {window(condition.window)}"

    def visit_regularly(self, condition: Regularly) -> str:
        unit = condition.per
        return (
            f"regularly {condition.event}: at least {condition.at_least} a {unit} in at least "
            f"{condition.in_at_least} of the last {condition.of_last} {unit}s"
        )

    def visit_stopped(self, condition: Stopped) -> str:
        return (
            f"stopped {condition.event}: before the last {condition.recent_days} days, "
            "not within them"
        )

    def visit_restarted(self, condition: Restarted) -> str:
        return (
            f"restarted {condition.event}: before, not in the {condition.gap_days} days before "
            f"the last {condition.recent_days}, again in the last {condition.recent_days} days"
        )

    def visit_changed(self, condition: Changed) -> str:
        measure = condition.measure
        measured = "sessions" if measure == "sessions" else f"{measure.event} events"
        days = condition.recent_days
        return (
            f"changed {measured}: the last {days} days {condition.direction} by at least "
            f"{value_text(condition.percent)}% against the {days} days before "
            f"(prior at least {condition.prior_at_least})"
        )

    def visit_aggregate(self, condition: Aggregate) -> str:
        measure = condition.measure
        if measure.column is not None:
            words = [f"aggregate {measure.function}({measure.column}) of sessions"]
        else:
            what = (
                "count"
                if measure.function == "count"
                else f"{measure.function}({measure.property})"
            )
            words = [f"aggregate {what} of {measure.event}"]
        if measure.window is not None:
            words.append(window(measure.window))
        if measure.same_session is False:
            words.append("(any session of the visitor)")
        value = condition.value
        if condition.operator.value == "between":
            words.append(f"between {value_text(value[0])} and {value_text(value[1])}")
        else:
            words.append(f"{condition.operator.value} {value_text(value)}")
        return " ".join(words)

    def visit_in_segment(self, condition: InSegment) -> str:
        return f"in segment {condition.segment}"

    def visit_in_list(self, condition: InList) -> str:
        return f"in list {condition.list} by {condition.by}"

    def visit_members(self, condition: Members) -> str:
        words = ["members"]
        if condition.where is not None:
            words.append(f"({self.visit(condition.where)})")
        times = condition.times
        if not (times.bound == "at_least" and times.count == 1):
            words.append(f"{times.bound.replace('_', ' ')} {times.count}")
        return " ".join(words)

    def visit_account(self, condition: OfAccount) -> str:
        return f"account ({self.visit(condition.condition)})"


def _behaviour(verb: str, condition: Performed | NotPerformed, how_often: str) -> str:
    words = [verb, _event(condition.event, condition.where)]
    if how_often:
        words.append(how_often)
    if condition.window is not None:
        words.append(window(condition.window))
    if condition.same_session is False:
        words.append("(any session of the visitor)")
    return " ".join(words)


def amount(count: int, noun: str) -> str:
    """`1 session`, `2,000 sessions`."""
    return f"{count:,} {plural(noun, count)}"


def plural(noun: str, count: int) -> str:
    return noun if count == 1 else f"{noun}s"
