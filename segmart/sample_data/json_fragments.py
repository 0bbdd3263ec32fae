"""JSON text and structs assembled in SQL from a tree of keys (Key): how each output record is
rendered without a Python loop per row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from segmart.sql import duckdb_string


@dataclass(frozen=True)
class Key:
    """A key of the output record and the SQL expression of its value (or nested keys)."""

    name: str
    sql: str = ""
    kind: str = "text"  # text | number | list (of structs) | json (rendered text) | object
    members: tuple[Key, ...] = ()


def obj(name: str, *members: Key) -> Key:
    return Key(name, kind="object", members=members)


def num(name: str, sql: str) -> Key:
    return Key(name, sql, kind="number")


# JSON text is assembled with concat(), which skips NULL arguments: every member's key and
# quotes are wrapped in "case when <value> is not null", so absent members vanish, and a whole
# object costs one string allocation. An object's first member must be present whenever the
# object is (it carries no comma). Generated text never needs escaping: it has no quotes,
# backslashes or control characters.


def json_parts(key: Key, first: bool = False) -> list[str]:
    """concat() arguments writing ``key`` as an object member; nothing when its value is NULL."""
    label = ("" if first else ",") + f'"{key.name}":'
    if key.kind == "object":
        lead = key.members[0]
        while lead.kind == "object":
            lead = lead.members[0]
        present = f"({lead.sql}) is not null"
        return [
            f"case when {present} then {duckdb_string(label + '{')} end",
            *json_members(key.members),
            f"case when {present} then '}}' end",
        ]
    present = f"({key.sql}) is not null"
    if key.kind == "text":
        return [
            f"case when {present} then {duckdb_string(label + chr(34))} end",
            key.sql,
            f"case when {present} then '{chr(34)}' end",
        ]
    value = {"number": f"({key.sql})::varchar", "list": f"to_json({key.sql})::varchar"}
    return [f"case when {present} then {duckdb_string(label)} end", value.get(key.kind, key.sql)]


def json_members(keys: Sequence[Key]) -> list[str]:
    parts = json_parts(keys[0], first=True)
    for key in keys[1:]:
        parts += json_parts(key)
    return parts


def json_object(keys: Sequence[Key]) -> str:
    return "concat('{', " + ", ".join(json_members(keys)) + ", '}')"


def _struct(keys: Sequence[Key]) -> str:
    members = ", ".join(f'"{key.name}" := {struct_value(key)}' for key in keys)
    return f"struct_pack({members})"


def struct_value(key: Key) -> str:
    return _struct(key.members) if key.kind == "object" else key.sql
