"""Problems: what is wrong, where (file, line, segment, field), in one line a person can act on.

Pydantic reports errors as a location tuple and a terse message; this module turns them into the
registry's own wording, with the YAML path the location stands for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from segmart.registry.base import AT, NullValue, UnknownKey, describe, suggestion

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One problem in the registry.

    file: the YAML file relative to the project, e.g. "segments/high_intent.yml".
    line: 1-based line in it.
    segment: the segment's name (the file name when the name is unusable).
    field_path: where in the entry, e.g. "where.all[1].attribute"; None for the whole file.
    message: what is wrong and, where possible, how to fix it.
    kind: what the file defines: a segment or a funnel.
    """

    file: str
    line: int
    segment: str
    field_path: str | None
    message: str
    kind: str = "segment"

    def __str__(self) -> str:
        where = f"{self.kind} '{self.segment}'"
        if self.field_path:
            where += f", field '{self.field_path}'"
        return _visible(f"{self.file}:{self.line}: {where}: {self.message}")

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line, self.field_path or "", self.message)


class RegistryError(Exception):
    """The registry has problems; `problems` lists every one found, by file and line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        super().__init__("\n".join(str(problem) for problem in self.problems))


def _visible(text: str) -> str:
    """`text` with every character str.isprintable refuses (controls, line and paragraph
    separators, format characters such as bidi overrides) written as its Python escape: a
    problem echoing a value stays one line, and the value cannot move the terminal's cursor
    or reorder what it shows."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def format_path(path: YamlPath) -> str:
    """("where", "all", 1, "attribute") -> "where.all[1].attribute"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def validation_issues(error: ValidationError) -> list[tuple[YamlPath, str]]:
    """(YAML path, message) for each pydantic error, in the registry's wording."""
    errors = error.errors(include_url=False)
    issues: list[tuple[YamlPath, str]] = []
    # A misspelt key also makes the real one "missing": report only the misspelling.
    suggested: set[YamlPath] = set()
    for item in errors:
        unknown = item.get("input")
        if item["type"] == "extra_forbidden" and isinstance(unknown, UnknownKey):
            close = suggestion(unknown.key, unknown.allowed)
            if close is not None:
                suggested.add((*yaml_path(item["loc"])[:-1], close))
    located = []
    for item in errors:
        path = yaml_path(item["loc"])
        context = item.get("ctx") or {}
        if AT in context:
            path = (*path, context[AT])
        located.append((path, item))
    for path, item in located:
        if item["type"] == "missing" and path in suggested:
            continue
        # pydantic counts a list's invalid items as absent: "too short" is noise beside them.
        if item["type"] == "too_short" and any(
            len(other) > len(path) and other[: len(path)] == path for other, _ in located
        ):
            continue
        issues.append((path, _message(item, path)))
    return issues


def yaml_path(loc: tuple[Any, ...]) -> YamlPath:
    """A pydantic location as a YAML path: internal union tags ("=...") dropped."""
    return tuple(part for part in loc if not (isinstance(part, str) and part.startswith("=")))


def _message(item: Any, path: YamlPath) -> str:
    kind = item["type"]
    value = item.get("input")
    if isinstance(value, NullValue) and kind != "extra_forbidden":
        return "no value given (write a value or remove the key)"
    if kind == "extra_forbidden" and isinstance(value, UnknownKey):
        return value.message()
    if kind == "extra_forbidden":
        return f"unknown field '{path[-1]}'"
    if kind == "missing":
        return f"missing required field '{path[-1]}'"
    if kind == "too_short":
        context = item.get("ctx") or {}
        minimum = context.get("min_length", 1)
        plural = "" if minimum == 1 else "s"
        return f"expected at least {minimum} item{plural}, got {context.get('actual_length', 0)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping, got {describe(value)}"
    if kind in ("tuple_type", "list_type"):
        return f"expected a list, got {describe(value)}"
    return str(item["msg"])
