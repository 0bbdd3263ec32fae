"""The one path by which registry values enter generated SQL.

Every value a registry author writes (a UTM value, a path, a regex, a number, a date) reaches
SQL through `literal()`. Strings become SQL string literals, with the characters that are not
read alike by every engine spliced in with chr():

- `{` (`chr(123)`): generated models are dbt Jinja templates, and a value holding `{{`, `{%` or
  `{#` must stay data, never become template code;
- line breaks (`chr(10)`, `chr(13)`): generated SQL is re-indented line by line, which would
  otherwise put spaces inside a multi-line value (and BigQuery allows none inside '...'). Other
  line separators (VT, FF, NEL, U+2028, ...) stay in the literal as they are: the layout ends
  lines at "\n" only (segmart.compiler.sqltext.indent), and `chr()` of a code point above 255
  differs on Spark;
- quote and backslash (`chr(39)`, `chr(92)`): standard SQL doubles a quote and keeps a
  backslash, while Spark, BigQuery and Snowflake read backslash escapes and BigQuery has no
  '' escape, so a literal holding neither means the same on every engine.

Nothing else is ever interpolated, so no value can change a query's structure
(tests/duckdb/test_segments_hostile.py).

SQL that segmart runs on DuckDB itself (the sample generator, the PostgreSQL loader's reader,
file activation) quotes its strings with `duckdb_string()` instead, the macros' own sql_string
rendered for DuckDB: some of its places take a literal and no expression (`COPY ... TO 'file'`),
and it is never a template.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from segmart.project_macros import duckdb_macros

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def literal(value: object) -> str:
    """A SQL literal for a registry value: str, bool, int, float, date or datetime."""
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return repr(value)
    if isinstance(value, datetime):
        return f"cast({string_literal(value.isoformat(sep=' '))} as timestamp)"
    if isinstance(value, date):
        return f"cast({string_literal(value.isoformat())} as date)"
    if isinstance(value, str):
        return string_literal(value)
    raise TypeError(f"cannot write a {type(value).__name__} into SQL: {value!r}")


_SPLICED = {"{": "chr(123)", "\n": "chr(10)", "\r": "chr(13)", "'": "chr(39)", "\\": "chr(92)"}
_SPLICE = re.compile(r"([{\n\r'\\])")


def duckdb_string(text: str) -> str:
    """A DuckDB string literal: the sql_string macro, as it renders on DuckDB."""
    return duckdb_macros().sql_string(text)


def string_literal(text: str) -> str:
    """'text', with `{`, line breaks, quotes and backslashes spliced in with chr() (see the
    module docstring)."""
    pieces = _SPLICE.split(text)
    # split() with a capture group alternates text, separator, text, ...
    parts = [f"'{piece}'" if i % 2 == 0 else _SPLICED[piece] for i, piece in enumerate(pieces)]
    return " || ".join(part for i, part in enumerate(parts) if part != "''" or len(parts) == 1)


def identifier(name: str) -> str:
    """A column or table name from the registry: only validated lower-case slugs pass."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return name
