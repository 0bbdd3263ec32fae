"""The strict model base and the keyed unions the registry format is built from.

The YAML format picks a type by which key is present (`performed:`, `last_days:`, `not:`), so
every union here is discriminated by a function that looks at the keys, never by trying each
member in turn: a typo then yields one precise error instead of one per member. Union tags that
start with "=" are internal and are dropped from error locations; a tag without it is the YAML key
the member's content sits under (see `StrictModel.unwrap_key`), so a pydantic error location is
the YAML path of the offending value once the "=" tags are removed.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    GetJsonSchemaHandler,
    Tag,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

# Context key of a custom error naming the key (below the error's location) it is about.
AT = "__at__"


def custom_error(message: str, at: str | None = None) -> PydanticCustomError:
    """A validation error with a final, human message; `at` names the offending key."""
    # pydantic substitutes only "{<context key>}" in the template, so any other braces stay.
    return PydanticCustomError("registry", message, {AT: str(at)} if at is not None else None)


def suggestion(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """The closest choice to a misspelt word, for "did you mean" hints."""
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """The hint " (did you mean 'x'?)", or "" when no choice is close."""
    close = suggestion(word, choices)
    return f" (did you mean '{close}'?)" if close else ""


def describe(value: Any) -> str:
    """A value as a message shows it: its YAML kind and, for scalars, the value."""
    if value is None or isinstance(value, NullValue):
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"whole number {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, datetime):
        return f"timestamp {value.isoformat()}"
    if isinstance(value, date):
        return f"date {value.isoformat()}"
    if isinstance(value, str):
        return f"text '{value}'"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


class UnknownKey:
    """Stands in for the value of a key the model does not have, so the `extra_forbidden` error
    pydantic raises for it carries what the message needs (the allowed keys), while every other
    field of the same mapping is still validated and reported."""

    def __init__(self, key: str, allowed: tuple[str, ...], operators: frozenset[str]) -> None:
        self.key = key
        self.allowed = allowed
        self.operators = operators

    def message(self) -> str:
        close = suggestion(self.key, self.allowed)
        if close is not None:
            kind = "operator" if close in self.operators else "field"
            return f"unknown {kind} '{self.key}' (did you mean '{close}'?)"
        kind = "field or operator" if self.operators else "field"
        return f"unknown {kind} '{self.key}' (expected one of: {', '.join(self.allowed)})"

    def __repr__(self) -> str:
        return f"UnknownKey({self.key!r})"


class NullValue:
    """Stands in for an explicit YAML null (`window:` with nothing after it) while validating a
    file, so it is reported ("no value given") instead of silently meaning "not set"."""

    def __repr__(self) -> str:
        return "NullValue()"


NULL = NullValue()
# Validation context flag: the data comes from a YAML file (see NullValue).
FROM_YAML = "from_yaml"


class StrictModel(BaseModel):
    """Immutable, no unknown keys, fields by YAML name (alias) or Python name."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # When set, the YAML form is `{unwrap_key: {...fields...}}` (e.g. `performed: {event: x}`):
    # the fields are validated from the inner mapping, and the JSON schema shows the wrapper.
    unwrap_key: ClassVar[str | None] = None
    # Keys that are comparison operators (for "unknown operator" messages).
    operator_keys: ClassVar[frozenset[str]] = frozenset()

    def __repr_args__(self) -> Any:
        # Most fields of a filter are unset operators: show only the ones with a value.
        return [(name, value) for name, value in super().__repr_args__() if value is not None]

    @classmethod
    def yaml_keys(cls) -> tuple[str, ...]:
        """The keys a YAML mapping of this model may hold, in declaration order."""
        return tuple(field.alias or name for name, field in cls.model_fields.items())

    @model_validator(mode="before")
    @classmethod
    def _unwrap_and_mark_keys(cls, data: Any, info: ValidationInfo) -> Any:
        if (
            cls.unwrap_key is not None
            and isinstance(data, Mapping)
            and set(data) == {cls.unwrap_key}
        ):
            data = data[cls.unwrap_key]
        if not isinstance(data, Mapping):
            return data
        allowed = cls.yaml_keys()
        accepted = set(allowed) | set(cls.model_fields)
        from_yaml = bool(info.context and info.context.get(FROM_YAML))
        marked = {}
        for key, value in data.items():
            if key not in accepted:
                value = UnknownKey(str(key), allowed, cls.operator_keys & set(allowed))
            elif value is None and from_yaml:
                value = NULL
            marked[key] = value
        return marked

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if cls.unwrap_key is None:
            return schema
        inner = dict(handler.resolve_ref_schema(schema))
        description = inner.pop("description", None)
        wrapper: JsonSchemaValue = {
            "type": "object",
            "properties": {cls.unwrap_key: inner},
            "required": [cls.unwrap_key],
            "additionalProperties": False,
        }
        if description:
            wrapper["description"] = description
        return wrapper


def keyed_union(
    what: str,
    members: Mapping[str, type],
    *,
    unwrapped: frozenset[str] = frozenset(),
    literals: Mapping[str, Any] | None = None,
) -> Any:
    """A union discriminated by which of `members`' keys a mapping has (or, for `literals`, by a
    plain text value). Mappings with none or several of the keys get one clear error.

    what: how messages call a value of the union ("condition", "window").
    unwrapped: member keys whose content sits under the key (tag = key, kept in locations).
    literals: text values that are members themselves (`within: same_session`), value -> type.
    """
    literals = dict(literals or {})
    keys = tuple(members)
    forms = ", ".join([*literals, *keys])

    def tag_of(key: str) -> str:
        return key if key in unwrapped else f"={key}"

    def discriminate(value: Any) -> str | None:
        if isinstance(value, str) and value in literals:
            return f"={value}"
        if isinstance(value, BaseModel):
            for key, member in members.items():
                if isinstance(value, member):
                    return tag_of(key)
            return None
        if isinstance(value, Mapping):
            present = [key for key in keys if key in value]
            if len(present) == 1:
                return tag_of(present[0])
        return None

    def check(value: Any) -> Any:
        if isinstance(value, BaseModel) or (isinstance(value, str) and value in literals):
            return value
        if isinstance(value, str) and literals:
            raise custom_error(
                f"invalid {what} '{value}': expected one of {forms}"
                + did_you_mean(value, [*literals, *keys])
            )
        if not isinstance(value, Mapping):
            raise custom_error(f"expected a {what} (one of: {forms}), got {describe(value)}")
        present = [key for key in keys if key in value]
        if not present:
            if not value:
                raise custom_error(f"empty {what}: expected one of: {forms}")
            best = _best_guess([str(key) for key in value], keys)
            if best is not None:
                key, close = best
                raise custom_error(f"unknown {what} '{key}' (did you mean '{close}'?)", at=key)
            found = ", ".join(f"'{key}'" for key in value)
            raise custom_error(f"a {what} needs one of: {forms} (found {found})")
        if len(present) > 1:
            found = " and ".join(f"'{key}'" for key in present)
            hint = " (combine conditions with all: or any:)" if what == "condition" else ""
            raise custom_error(
                f"a {what} has exactly one {what} key; found {found}{hint}", at=present[1]
            )
        key = present[0]
        if key in unwrapped:
            for other in value:
                if other != key:
                    raise custom_error(
                        f"unknown field '{other}' beside '{key}' (its fields go inside '{key}')",
                        at=str(other),
                    )
        return value

    choices = [Annotated[member, Tag(tag_of(key))] for key, member in members.items()]
    choices += [Annotated[kind, Tag(f"={text}")] for text, kind in literals.items()]
    return Annotated[
        Union[tuple(choices)],  # noqa: UP007 - a runtime-built union needs the Union form
        Discriminator(discriminate),
        BeforeValidator(check),
    ]


def _best_guess(words: list[str], choices: tuple[str, ...]) -> tuple[str, str] | None:
    """The (word, choice) pair that looks most like a misspelling, if any does."""
    best: tuple[float, str, str] | None = None
    for word in words:
        close = suggestion(word, choices)
        if close is None:
            continue
        score = difflib.SequenceMatcher(None, word, close).ratio()
        if best is None or score > best[0]:
            best = (score, word, close)
    return (best[1], best[2]) if best else None
