"""Attribute and property filters -> SQL predicates.

Text compares case-insensitively unless the filter says `case_sensitive: true`; values are
lowered in Python and the column in SQL. Every value goes through segmart.sql.literal.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from segmart.compiler.sqltext import jinja
from segmart.registry.models import Operator, _Comparison
from segmart.registry.values import RelativeTime
from segmart.sql import literal

Kind = Literal["text", "number", "boolean", "timestamp", "json"]

AS_OF = "{{ segmart.as_of() }}"


def relative_time(value: RelativeTime) -> str:
    return jinja(f"segmart.time_add('hour', -{int(value.hours)}, segmart.as_of())")


def at_midnight(value: date, zone: ZoneInfo) -> datetime:
    """A date as the instant its day starts in `zone`, as naive UTC like the warehouse's times
    (a datetime, already an instant, as it is): time columns compare with timestamps, never
    dates (BigQuery will not compare a TIMESTAMP with a DATE)."""
    if isinstance(value, datetime):
        return value
    local = datetime.combine(value, time(), tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def next_day_start(day: date, zone: ZoneInfo) -> datetime:
    """Where a date as an upper end stops: the start of the following day in `zone` (naive UTC),
    so the whole day is in."""
    return at_midnight(day + timedelta(days=1), zone)


def value_sql(value: object, kind: Kind | None, zone: ZoneInfo) -> str:
    if isinstance(value, RelativeTime):
        return relative_time(value)
    if kind == "timestamp" and isinstance(value, date):
        return literal(at_midnight(value, zone))
    return literal(value)


_JINJA_EXPRESSION = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def jinja_argument(sql: str) -> str:
    """Compiler-made SQL text (columns and macro calls such as `{{ segmart.json_text(...) }}`,
    never registry values) as a Jinja expression that renders to it: the `{{ x }}` parts become
    the expression x, the rest Jinja strings, joined with `~`."""
    pieces = []
    position = 0
    for match in _JINJA_EXPRESSION.finditer(sql):
        if match.start() > position:
            pieces.append(_jinja_string(sql[position : match.start()]))
        pieces.append(f"({match.group(1)})")
        position = match.end()
    if position < len(sql) or not pieces:
        pieces.append(_jinja_string(sql[position:]))
    return " ~ ".join(pieces)


def _jinja_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def predicate(column: str, kind: Kind, comparison: _Comparison, zone: ZoneInfo) -> str:
    """The SQL predicate `comparison` makes of `column` (an expression of the given kind); dates
    are days in `zone`."""
    operator = comparison.operator
    value = comparison.value
    fold = kind == "text" and not comparison.case_sensitive

    def text(v: object) -> object:
        return v.lower() if fold and isinstance(v, str) else v

    subject = f"lower({column})" if fold else column

    if operator in (Operator.IS_SET, Operator.IS_NOT_SET):
        if kind == "text":
            present = f"{column} is not null and {column} <> ''"
            absent = f"({column} is null or {column} = '')"
        else:
            present, absent = f"{column} is not null", f"{column} is null"
        return present if operator is Operator.IS_SET else absent

    if operator in (Operator.EQUALS, Operator.IN, Operator.NOT_EQUALS, Operator.NOT_IN):
        values = [value_sql(text(v), None, zone) for v in value]
        negate = operator in (Operator.NOT_EQUALS, Operator.NOT_IN)
        if len(values) == 1:
            test = f"{subject} {'<>' if negate else '='} {values[0]}"
        else:
            test = f"{subject} {'not in' if negate else 'in'} ({', '.join(values)})"
        # "Not equal to X" includes rows where the value is missing, as people mean it.
        return f"({column} is null or {test})" if negate else test

    if operator in (Operator.CONTAINS, Operator.STARTS_WITH, Operator.ENDS_WITH):
        tests = []
        for v in value:
            needle = text(v)
            if operator is Operator.CONTAINS:
                # The needle is the call block's body, so it stays SQL text (as regex below).
                tests.append(
                    f"{{% call segmart.text_contains_block({jinja_argument(subject)}) %}}"
                    f"{literal(needle)}{{% endcall %}}"
                )
            elif operator is Operator.STARTS_WITH:
                tests.append(f"left({subject}, {len(needle)}) = {literal(needle)}")
            else:
                tests.append(f"right({subject}, {len(needle)}) = {literal(needle)}")
        return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"

    if operator is Operator.REGEX:
        # The pattern is the body of a call block, so it stays SQL text, never a Jinja string.
        flags = "" if comparison.case_sensitive else "(?i)"
        return (
            f"{{% call segmart.regex_match({jinja_argument(column)}) %}}"
            f"{literal(flags + value)}{{% endcall %}}"
        )

    symbols = {Operator.GT: ">", Operator.GTE: ">=", Operator.LT: "<", Operator.LTE: "<="}
    last_day = value[1] if operator is Operator.BETWEEN else value
    if (
        kind == "timestamp"
        and operator in (Operator.GT, Operator.LTE, Operator.BETWEEN)
        and _is_day(last_day)
    ):
        # A date as the upper end means the whole day, as in a between window: up to the next
        # day's start; "after" a day is from the next day's start.
        next_day = literal(next_day_start(last_day, zone))
        if operator is Operator.GT:
            return f"{column} >= {next_day}"
        if operator is Operator.LTE:
            return f"{column} < {next_day}"
        return f"{column} >= {value_sql(value[0], kind, zone)} and {column} < {next_day}"
    if operator in symbols:
        return f"{column} {symbols[operator]} {value_sql(value, kind, zone)}"
    if operator is Operator.BETWEEN:
        low, high = value
        low_sql, high_sql = value_sql(low, kind, zone), value_sql(high, kind, zone)
        return f"{column} between {low_sql} and {high_sql}"
    raise ValueError(f"unsupported operator {operator}")


def _is_day(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)
