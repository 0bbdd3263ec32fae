"""Small helpers to lay out generated SQL: indentation and boolean combination."""

from __future__ import annotations

INDENT = "    "
# Column types in generated SQL, named by dbt for the target engine (varchar on DuckDB and
# PostgreSQL, string on Spark and BigQuery): generated models run unchanged on every engine.
STRING_TYPE = "{{ dbt.type_string() }}"
BOOLEAN_TYPE = "{{ dbt.type_boolean() }}"
INTEGER_TYPE = "{{ dbt.type_int() }}"


def jinja(expression: str) -> str:
    """`{{ expression }}`: a Jinja expression dbt renders (a ref, a segmart macro call)."""
    return "{{ " + expression + " }}"


def indent(text: str, levels: int = 1) -> str:
    """`text` with each non-blank line indented `levels` times.

    Lines end at "\n" only: textwrap.indent and str.splitlines also end a line at VT, FF, NEL,
    U+2028 and other separators, which registry values may hold inside a string literal; indenting
    after them would change the value."""
    prefix = INDENT * levels
    return "\n".join(prefix + line if line.strip(" ") else line for line in text.split("\n"))


class Combined(str):
    """SQL terms joined by `and` / `or` at their top level, so inside another combination it
    needs parentheses; a str, so SQL text everywhere else."""


def combine(operator: str, parts: list[str]) -> str:
    """Parts joined by `and` / `or`, one per line; a part that is itself a combination in
    parentheses (precedence known from how it was built, not guessed from its text)."""
    if len(parts) == 1:
        return parts[0]
    wrapped = [f"(\n{indent(part)}\n)" if isinstance(part, Combined) else part for part in parts]
    return Combined(f"\n{operator} ".join(wrapped))


def subquery_membership(key: str, query: str, negate: bool = False) -> str:
    """`key in (query)`, with the query indented on its own lines."""
    return f"{key} {'not in' if negate else 'in'} (\n{indent(query)}\n)"


def empty_select(columns: dict[str, str]) -> str:
    """A select of no rows with these columns (name -> SQL type): what a generated union over the
    registry becomes when the registry has nothing to union."""
    typed = ",\n".join(f"cast(null as {kind}) as {name}" for name, kind in columns.items())
    return f"select\n{indent(typed)}\nwhere false"
