"""Typed values of the registry format, each validated by one function with one clear message.

YAML makes types easy to get wrong silently (`country: NO` is a boolean, `min_members: "100"` is
text), so values are strict: an integer field takes an integer, text takes text. Each type is a
plain validator plus the JSON schema editors see, instead of a pydantic union that would report
one error per member.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from segmart.naming import normalize_event_name
from segmart.registry.base import StrictModel, custom_error, describe, did_you_mean

SLUG_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
PROPERTY_PATH_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
TAG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"

Grain = Literal["user", "session", "account"]
# Where a funnel step happens relative to the previous one.
Scope = Literal["user", "session"]
Refresh = Literal["hourly", "daily", "weekly"]
Visibility = Literal["public", "private"]
Period = Literal["day", "week"]
Occurrence = Literal["first", "last", "every"]
AggregateFunction = Literal["sum", "count", "avg", "min", "max"]
ListKey = Literal["user_id", "email"]
# How a trait or event property (untyped JSON) is compared.
ValueType = Literal["text", "number", "boolean", "timestamp"]
FileFormat = Literal["csv", "parquet"]

# The kinds a column or an event property is compared with.
ValueKind = Literal["text", "number", "boolean", "instant", "relative"]
Scalar = str | int | float | bool | date | datetime
Number = int | float
Instant = date | datetime


def quoting_hint(expects_text: bool, value: Any) -> str:
    """Why YAML may have typed a value unexpectedly, and the fix."""
    if expects_text and isinstance(value, bool):
        return " (YAML reads unquoted yes/no/on/off/true/false as booleans: quote the text)"
    if expects_text and (is_number(value) or isinstance(value, date)):
        return " (quote it to compare it as text)"
    if not expects_text and isinstance(value, str) and _looks_typed(value):
        return " (write it without quotes)"
    return ""


def _looks_typed(text: str) -> bool:
    """Text that YAML reads as a number, boolean or date once its quotes are removed."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(value, bool | int | float | date)


def _expect(expected: str, value: Any) -> PydanticCustomError:
    hint = quoting_hint(expected == "text", value)
    return custom_error(f"expected {expected}, got {describe(value)}{hint}")


def is_number(value: Any) -> bool:
    """An int or float, and not a bool (which Python counts as an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


# The largest whole number: warehouse integers are 64-bit (bigint, INT64), and past that an
# integer literal is an error or a different type depending on the engine.
MAX_WHOLE = 2**63 - 1


def _in_range(value: Number) -> Number:
    """A number every engine holds as written: finite, and a whole number within 64 bits."""
    # YAML reads .inf and .nan as floats; no warehouse comparison with them means anything.
    if isinstance(value, float) and not math.isfinite(value):
        raise custom_error(f"expected a finite number, got {value}")
    if isinstance(value, int) and abs(value) > MAX_WHOLE:
        digits = str(abs(value))
        shown = str(value) if len(digits) <= 24 else f"{str(value)[:20]}... ({len(digits)} digits)"
        raise custom_error(
            f"whole number {shown} is out of range: at most {MAX_WHOLE} either side of 0 (64 bits)"
        )
    return value


def value_kind(value: Any) -> ValueKind:
    """The kind of a validated comparison value."""
    if isinstance(value, RelativeTime):
        return "relative"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, date):
        return "instant"
    return "text"


def _time_zone(value: Any) -> str:
    if not isinstance(value, str):
        raise _expect("a time zone name", value)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise custom_error(
            f"unknown time zone '{value}': use an IANA name like Europe/Lisbon or UTC"
            + did_you_mean(value, sorted(zoneinfo.available_timezones()))
        ) from None
    return value


TimeZoneName = Annotated[
    str,
    PlainValidator(_time_zone),
    WithJsonSchema(
        {"type": "string", "description": "An IANA time zone name (Europe/Lisbon, UTC)."}
    ),
]


def utc_naive(moment: datetime) -> datetime:
    """Warehouse timestamps are naive UTC; a timestamp with an offset is converted to that."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


# --- text -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _expect("text", value)
    text = value.strip()
    if not text:
        raise custom_error("expected text, got an empty value")
    return text


def _slug(what: str) -> Callable[[Any], str]:
    def validate(value: Any) -> str:
        if not isinstance(value, str):
            raise _expect("text", value)
        if not re.fullmatch(SLUG_PATTERN, value):
            raise custom_error(
                f"invalid {what} '{value}': use lower-case letters, digits and _, "
                "starting with a letter (at most 63 characters)"
            )
        return value

    return validate


def _tag(value: Any) -> str:
    if not isinstance(value, str):
        raise _expect("text", value)
    if not re.fullmatch(TAG_PATTERN, value):
        raise custom_error(
            f"invalid tag '{value}': use lower-case letters, digits, _ and - (at most 63)"
        )
    return value


def _tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise _expect("a list of tags", value)
    tags = tuple(_tag(item) for item in value)
    for index, tag in enumerate(tags):
        if tag in tags[:index]:
            raise custom_error(f"duplicate tag '{tag}'")
    return tags


def _event_name(value: Any) -> str:
    if not isinstance(value, str):
        raise _expect("an event name", value)
    normalized = normalize_event_name(value)
    if normalized is None:
        raise custom_error(f"invalid event name '{value}': it has no letters or digits")
    return normalized


def _event_names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    if not items:
        raise custom_error("expected at least one event name, got an empty list")
    names = tuple(_event_name(item) for item in items)
    for index, name in enumerate(names):
        if name in names[:index]:
            raise custom_error(f"event '{items[index]}' is listed twice (as {name})")
    return names


def _json_path(noun: str) -> Callable[[Any], str]:
    """A validator for a name or dotted path into a JSON object (event properties, traits)."""

    def validate(value: Any) -> str:
        if not isinstance(value, str):
            raise _expect(f"a {noun} name", value)
        if not re.fullmatch(PROPERTY_PATH_PATTERN, value):
            raise custom_error(
                f"invalid {noun} path '{value}': use a name or a dotted path like a.b.c "
                "(letters, digits and _, not starting with a digit)"
            )
        return value

    return validate


def _choice(literal: Any) -> Callable[[Any], str]:
    """A validator for one of a Literal's words, with a "did you mean" hint."""
    options: tuple[str, ...] = get_args(literal)

    def validate(value: Any) -> str:
        if not isinstance(value, str):
            raise _expect(f"one of {', '.join(options)}", value)
        if value not in options:
            raise custom_error(
                f"invalid value '{value}': expected one of {', '.join(options)}"
                + did_you_mean(value, options)
            )
        return value

    return validate


def _enum(literal: Any) -> dict[str, Any]:
    return {"enum": list(get_args(literal))}


Text = Annotated[str, PlainValidator(_text), WithJsonSchema({"type": "string", "minLength": 1})]
ENV_NAME_PATTERN = r"^[A-Z][A-Z0-9_]{0,62}$"


def _env_name(value: Any) -> str:
    if not isinstance(value, str):
        raise _expect("an environment variable name", value)
    if not re.fullmatch(ENV_NAME_PATTERN, value):
        raise custom_error(
            f"invalid environment variable name '{value}': use upper-case letters, digits and _ "
            "(the secret itself, e.g. a URL with a token, never goes in the registry)"
        )
    return value


EnvName = Annotated[
    str, PlainValidator(_env_name), WithJsonSchema({"type": "string", "pattern": ENV_NAME_PATTERN})
]
_SLUG_SCHEMA = WithJsonSchema({"type": "string", "pattern": SLUG_PATTERN})
SegmentName = Annotated[str, PlainValidator(_slug("name")), _SLUG_SCHEMA]
SegmentReference = Annotated[str, PlainValidator(_slug("segment name")), _SLUG_SCHEMA]
ListName = Annotated[str, PlainValidator(_slug("list name")), _SLUG_SCHEMA]
Tags = Annotated[
    tuple[str, ...],
    PlainValidator(_tags),
    WithJsonSchema(
        {"type": "array", "items": {"type": "string", "pattern": TAG_PATTERN}, "uniqueItems": True}
    ),
]
EventName = Annotated[
    str,
    PlainValidator(_event_name),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "description": "An event name, normalized (Product Added -> product_added); "
            "page and screen mean page and screen views.",
        }
    ),
]
EventNames = Annotated[
    tuple[str, ...],
    PlainValidator(_event_names),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
            ],
            "description": "An event name or a list of them (any of them), normalized as "
            "marts.events names them.",
        }
    ),
]
PropertyPath = Annotated[
    str,
    PlainValidator(_json_path("property")),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": PROPERTY_PATH_PATTERN,
            "description": "An event property: a name or a JSON path a.b.c "
            "(page fields: path, url, title, referrer).",
        }
    ),
]
TraitPath = Annotated[
    str,
    PlainValidator(_json_path("trait")),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": PROPERTY_PATH_PATTERN,
            "description": "A user trait of identify calls: a name or a JSON path a.b.c.",
        }
    ),
]
GrainChoice = Annotated[Grain, PlainValidator(_choice(Grain)), WithJsonSchema(_enum(Grain))]
ScopeChoice = Annotated[Scope, PlainValidator(_choice(Scope)), WithJsonSchema(_enum(Scope))]
RefreshChoice = Annotated[Refresh, PlainValidator(_choice(Refresh)), WithJsonSchema(_enum(Refresh))]
VisibilityChoice = Annotated[
    Visibility, PlainValidator(_choice(Visibility)), WithJsonSchema(_enum(Visibility))
]
FileFormatChoice = Annotated[
    FileFormat, PlainValidator(_choice(FileFormat)), WithJsonSchema(_enum(FileFormat))
]
PeriodChoice = Annotated[Period, PlainValidator(_choice(Period)), WithJsonSchema(_enum(Period))]
OccurrenceChoice = Annotated[
    Occurrence, PlainValidator(_choice(Occurrence)), WithJsonSchema(_enum(Occurrence))
]
FunctionChoice = Annotated[
    AggregateFunction,
    PlainValidator(_choice(AggregateFunction)),
    WithJsonSchema(_enum(AggregateFunction)),
]
ListKeyChoice = Annotated[ListKey, PlainValidator(_choice(ListKey)), WithJsonSchema(_enum(ListKey))]
ValueTypeChoice = Annotated[
    ValueType, PlainValidator(_choice(ValueType)), WithJsonSchema(_enum(ValueType))
]


# --- numbers and flags ----------------------------------------------------------------------


def _whole(minimum: int) -> Callable[[Any], int]:
    def validate(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _expect("a whole number", value)
        _in_range(value)
        if value < minimum:
            raise custom_error(f"must be at least {minimum}, got {value}")
        return value

    return validate


def _number(value: Any) -> Number:
    if not is_number(value):
        raise _expect("a number", value)
    return _in_range(value)


def _percent(maximum: float | None) -> Callable[[Any], Number]:
    def validate(value: Any) -> Number:
        number = _number(value)
        if number <= 0:
            raise custom_error(f"must be more than 0, got {number}")
        if maximum is not None and number > maximum:
            raise custom_error(f"must be at most {maximum:g}, got {number}")
        return number

    return validate


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _expect("true or false", value)
    return value


def _true_only(value: Any) -> bool:
    if value is not True:
        raise custom_error(
            f"expected true, got {describe(value)} (for the opposite, use the other operator: "
            "is_set / is_not_set)"
        )
    return True


PositiveInt = Annotated[
    int, PlainValidator(_whole(1)), WithJsonSchema({"type": "integer", "minimum": 1})
]
Count = Annotated[int, PlainValidator(_whole(0)), WithJsonSchema({"type": "integer", "minimum": 0})]
NumberValue = Annotated[Number, PlainValidator(_number), WithJsonSchema({"type": "number"})]
DropPercent = Annotated[
    Number,
    PlainValidator(_percent(100)),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": 100}),
]
RisePercent = Annotated[
    Number,
    PlainValidator(_percent(None)),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0}),
]
Flag = Annotated[bool, PlainValidator(_flag), WithJsonSchema({"type": "boolean"})]
TrueOnly = Annotated[Literal[True], PlainValidator(_true_only), WithJsonSchema({"const": True})]


# --- dates and times ------------------------------------------------------------------------


def _instant(value: Any) -> Instant:
    try:
        if isinstance(value, datetime):
            return utc_naive(value)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            if "T" in value or " " in value.strip():
                return utc_naive(datetime.fromisoformat(value))
            return date.fromisoformat(value)
    except ValueError:
        pass
    except OverflowError:  # 9999-12-31T23:00:00-05:00 is past year 9999 in UTC
        raise custom_error(f"{describe(value)} is out of range once converted to UTC") from None
    raise custom_error(
        f"expected a date (2026-10-01) or a timestamp (2026-10-01T08:00:00), got {describe(value)}"
    )


def _as_datetime(moment: Instant) -> datetime:
    if isinstance(moment, datetime):
        return moment
    return datetime(moment.year, moment.month, moment.day)


def _ordered_pair(element: Callable[[Any], Any], what: str) -> Callable[[Any], tuple[Any, Any]]:
    """[low, high]: exactly two values of one kind, low <= high."""

    def validate(values: Any) -> tuple[Any, Any]:
        if not isinstance(values, list | tuple):
            raise custom_error(f"expected [low, high] (two {what}), got {describe(values)}")
        if len(values) != 2:
            raise custom_error(
                f"expected [low, high] (exactly two {what}), got {len(values)} values"
            )
        low, high = (element(value) for value in values)
        kinds = {value_kind(low), value_kind(high)}
        if len(kinds) != 1:
            raise custom_error(
                f"expected [low, high] of one kind, got {describe(low)} and {describe(high)}"
            )
        if kinds == {"instant"}:
            if _as_datetime(low) > _as_datetime(high):
                raise custom_error(f"low {low} is after high {high}: write [low, high]")
        elif low > high:
            raise custom_error(f"low {low} is greater than high {high}: write [low, high]")
        return low, high

    return validate


_INSTANT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "description": "A date (2026-10-01) or a UTC timestamp (2026-10-01T08:00:00).",
}
InstantRange = Annotated[
    tuple[Instant, Instant],
    PlainValidator(_ordered_pair(_instant, "dates or timestamps")),
    WithJsonSchema({"type": "array", "items": _INSTANT_SCHEMA, "minItems": 2, "maxItems": 2}),
]


class RelativeTime(StrictModel):
    """A time relative to the segment's reference time `as_of` (an extension for timestamp
    columns: `{attribute: signup_at, lt: {hours_ago: 48}}` means signed up more than 48 hours
    before as_of). Exactly one of the two is set."""

    days_ago: int | None = None
    hours_ago: int | None = None

    @property
    def hours(self) -> int:
        """How many hours before as_of."""
        return self.hours_ago if self.hours_ago is not None else 24 * (self.days_ago or 0)


_RELATIVE_KEYS = ("days_ago", "hours_ago")
_RELATIVE_TIME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Relative to as_of: {days_ago: N} or {hours_ago: N} (timestamp columns).",
    "properties": {key: {"type": "integer", "minimum": 1} for key in _RELATIVE_KEYS},
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
}


def _relative_time(value: Mapping[Any, Any]) -> RelativeTime:
    unknown = [str(key) for key in value if key not in _RELATIVE_KEYS]
    if unknown:
        hint = did_you_mean(unknown[0], _RELATIVE_KEYS) or " (expected days_ago or hours_ago)"
        raise custom_error(f"unknown field '{unknown[0]}' in a relative time{hint}")
    if len(value) != 1:
        raise custom_error("a relative time has exactly one of days_ago, hours_ago")
    ((key, amount),) = value.items()
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise custom_error(f"{key}: expected a whole number, got {describe(amount)}")
    _in_range(amount)
    if amount < 1:
        raise custom_error(f"{key} must be at least 1, got {amount}")
    return RelativeTime.model_validate({key: amount})


# --- comparison values ----------------------------------------------------------------------


def _scalar(value: Any) -> Scalar:
    if isinstance(value, bool | str):
        return value
    if is_number(value):
        return _in_range(value)
    if isinstance(value, date):
        return _instant(value)
    raise custom_error(
        f"expected text, a number, true/false, a date or a timestamp, got {describe(value)}"
    )


def _one_kind(values: tuple[Any, ...]) -> tuple[Any, ...]:
    kinds = sorted({value_kind(value) for value in values})
    if len(kinds) > 1:
        raise custom_error(f"the values mix {' and '.join(kinds)}: use values of one kind")
    return values


def _scalars(value: Any) -> tuple[Scalar, ...]:
    if isinstance(value, list | tuple):
        if not value:
            raise custom_error("expected at least one value, got an empty list")
        return _one_kind(tuple(_scalar(item) for item in value))
    return (_scalar(value),)


def _scalar_list(value: Any) -> tuple[Scalar, ...]:
    if not isinstance(value, list | tuple):
        raise custom_error(f"expected a list of values, got {describe(value)}")
    return _scalars(value)


def _texts(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    if not items:
        raise custom_error("expected at least one text, got an empty list")
    for item in items:
        if not isinstance(item, str):
            raise _expect("text", item)
        if not item:
            raise custom_error("expected text, got an empty text (it would match everything)")
    return tuple(items)


def _regex(value: Any) -> str:
    if not isinstance(value, str):
        raise _expect("a regular expression (text)", value)
    if not value:
        raise custom_error("expected a regular expression, got an empty text")
    if re.search(r"\(\?<?[=!]|\\[1-9]", value):
        raise custom_error(
            f"regular expression '{value}' uses lookaround or a backreference, which RE2 "
            "(the warehouse's regex engine) does not support"
        )
    # Syntax only RE2 knows (\pL, \Q..\E, [[:alpha:]]) is left for the warehouse to check.
    if not re.search(r"\\[pPQEC]|\[\[:", value):
        try:
            re.compile(value)
        except re.error as error:
            raise custom_error(f"invalid regular expression '{value}': {error}") from None
    return value


def _bound(value: Any) -> Number | Instant | RelativeTime:
    if isinstance(value, RelativeTime):
        return value
    if isinstance(value, Mapping):
        return _relative_time(value)
    if is_number(value):
        return _in_range(value)
    if isinstance(value, date):  # YAML read it as a date: only its range can be wrong
        return _instant(value)
    if isinstance(value, str):
        try:
            return _instant(value)
        except PydanticCustomError:
            pass
    raise custom_error(
        "expected a number, a date, a timestamp or a relative time like {days_ago: 7}, "
        f"got {describe(value)}"
    )


def _range_element(value: Any) -> Number | Instant:
    if is_number(value):
        return _in_range(value)
    if isinstance(value, date | str):
        return _instant(value)
    raise custom_error(f"expected numbers, dates or timestamps, got {describe(value)}")


_SCALAR_SCHEMA: dict[str, Any] = {"type": ["string", "number", "boolean"]}
_TEXT_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 1}
_NUMBER_OR_INSTANT: dict[str, Any] = {"anyOf": [{"type": "number"}, _INSTANT_SCHEMA]}

ScalarValues = Annotated[
    tuple[Scalar, ...],
    PlainValidator(_scalars),
    WithJsonSchema(
        {"anyOf": [_SCALAR_SCHEMA, {"type": "array", "items": _SCALAR_SCHEMA, "minItems": 1}]}
    ),
]
ScalarList = Annotated[
    tuple[Scalar, ...],
    PlainValidator(_scalar_list),
    WithJsonSchema({"type": "array", "items": _SCALAR_SCHEMA, "minItems": 1}),
]
TextValues = Annotated[
    tuple[str, ...],
    PlainValidator(_texts),
    WithJsonSchema(
        {"anyOf": [_TEXT_SCHEMA, {"type": "array", "items": _TEXT_SCHEMA, "minItems": 1}]}
    ),
]
Regex = Annotated[str, PlainValidator(_regex), WithJsonSchema(_TEXT_SCHEMA)]
Bound = Annotated[
    Number | Instant | RelativeTime,
    PlainValidator(_bound),
    WithJsonSchema({"anyOf": [{"type": "number"}, _INSTANT_SCHEMA, _RELATIVE_TIME_SCHEMA]}),
]
Range = Annotated[
    tuple[Number | Instant, Number | Instant],
    PlainValidator(_ordered_pair(_range_element, "numbers, dates or timestamps")),
    WithJsonSchema({"type": "array", "items": _NUMBER_OR_INSTANT, "minItems": 2, "maxItems": 2}),
]
NumberRange = Annotated[
    tuple[Number, Number],
    PlainValidator(_ordered_pair(_number, "numbers")),
    WithJsonSchema({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}),
]
