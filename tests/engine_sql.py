"""Is this SQL the named engine's SQL? The checks the cloud compile tests apply.

sqlglot parses SQL in an engine's dialect, but it is lenient: it reads almost any function call
(DuckDB's json_extract_string parses as Snowflake) and any type name it knows in some dialect
(`cast(x as text)` parses as BigQuery, which has no text type). So beyond parsing, every function
called and every type cast to or declared in a contract must be one the engine has, as its
documentation names it. ENGINES lists those names: only what segmart's SQL uses, so an SQL change
that calls something new must add it here, deliberately. Each problem names what is wrong.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sqlglot
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError
from sqlglot.tokens import Token, TokenType


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Engine:
    dialect: str  # sqlglot's
    functions: frozenset[str]
    types: frozenset[str]
    incremental_strategies: frozenset[str]


# Functions and types as each engine's SQL reference names them (aliases it documents count).
ENGINES = {
    "snowflake": Engine(
        dialect="snowflake",
        functions=_names(
            """abs array_agg avg cast chr coalesce convert_timezone count date_trunc dateadd
            datediff dayofweekiso floor get is_object lag last_value lead left listagg lower
            max max_by md5 min min_by nullif position regexp_instr regexp_like regexp_replace
            regexp_substr replace right row_number strip_null_value sum sysdate timestampdiff
            to_json to_varchar trim try_cast try_parse_json try_to_timestamp_ntz
            try_to_timestamp_tz typeof upper"""
        ),
        types=_names(
            """bigint boolean date double float float8 int integer number numeric string text
            timestamp timestamp_ntz varchar variant"""
        ),
        # SnowflakeAdapter.valid_incremental_strategies
        incremental_strategies=frozenset(
            {"append", "merge", "delete+insert", "microbatch", "insert_overwrite"}
        ),
    ),
    "bigquery": Engine(
        dialect="bigquery",
        functions=_names(
            """abs array_agg avg cast chr coalesce count current_timestamp date_trunc datetime
            datetime_diff floor json_query json_type json_value lag last_value lead left lower
            max md5 min nullif parse_json regexp_contains regexp_extract regexp_replace replace
            right round row_number safe_cast safe_offset string_agg strpos sum timestamp
            timestamp_add timestamp_diff timestamp_sub timestamp_trunc to_hex to_json_string trim
            upper"""
        ),
        types=_names(
            """bigint bignumeric bool boolean date datetime float64 int int64 integer json numeric
            string timestamp"""
        ),
        # dbt-bigquery's dbt_bigquery_validate_get_incremental_strategy
        incremental_strategies=frozenset({"merge", "insert_overwrite", "microbatch"}),
    ),
}

# Keywords that a parenthesis follows without a function call.
_NOT_CALLS = _names(
    """and as between by exists filter from group having in interval join not on options or over
    select then using values when where with"""
)
_CASTS = frozenset({"cast", "try_cast", "safe_cast"})


def sql_problems(sql: str, engine: str) -> list[str]:
    """What keeps `sql` (one or more statements) from being `engine`'s SQL; empty when none."""
    spec = ENGINES[engine]
    try:
        sqlglot.parse(sql, read=spec.dialect)
    except ParseError as error:
        return [f"does not parse as {engine} SQL: {error}"]
    tokens = Dialect.get_or_raise(spec.dialect).tokenize(sql)
    problems = [
        f"{engine} has no function {name}()"
        for name in sorted(called_functions(tokens) - spec.functions)
    ]
    problems += [f"{engine} has no type {name}" for name in sorted(cast_types(tokens) - spec.types)]
    return problems


def type_problems(data_types: dict[str, str], engine: str) -> list[str]:
    """Contract column types (column -> data_type) the engine does not have."""
    types = ENGINES[engine].types
    return [
        f"contract column {column}: {engine} has no type {data_type}"
        for column, data_type in sorted(data_types.items())
        if _type_name(data_type) not in types
    ]


def strategy_problems(strategy: str | None, engine: str) -> list[str]:
    valid = ENGINES[engine].incremental_strategies
    if strategy is None or strategy in valid:
        return []
    return [f"{engine} has no incremental strategy {strategy} (it has {', '.join(sorted(valid))})"]


def called_functions(tokens: list[Token]) -> set[str]:
    """Names written right before an opening parenthesis, but keywords (`in (`, `over (`), cast
    target types (`as number(38, 0)`) and qualified names (`db.raw.events (columns)` in DDL),
    save BigQuery's SAFE. prefix (`safe.parse_json(`)."""
    names = set()
    for index, (word, after) in enumerate(itertools.pairwise(tokens)):
        if after.token_type is not TokenType.L_PAREN or not _is_word(word):
            continue
        before = tokens[index - 1] if index else None
        if before is not None and before.token_type in (TokenType.ALIAS, TokenType.DCOLON):
            continue  # a type with parameters
        qualifier = tokens[index - 2].text.lower() if index >= 2 else None
        if before is not None and before.token_type is TokenType.DOT and qualifier != "safe":
            continue  # a relation's name
        name = word.text.lower()
        if name not in _NOT_CALLS:
            names.add(name)
    return names


def cast_types(tokens: list[Token]) -> set[str]:
    """Type names cast to: `cast(x as <type>)` (also try_cast, safe_cast) and `x::<type>`."""
    types = set()
    open_casts: list[int] = []  # parenthesis depth of each cast( still open
    depth = 0
    for index, token in enumerate(tokens):
        if token.token_type is TokenType.L_PAREN:
            depth += 1
            if index and tokens[index - 1].text.lower() in _CASTS:
                open_casts.append(depth)
        elif token.token_type is TokenType.R_PAREN:
            if open_casts and open_casts[-1] == depth:
                open_casts.pop()
            depth -= 1
        elif index + 1 < len(tokens) and (
            token.token_type is TokenType.DCOLON
            or (token.token_type is TokenType.ALIAS and open_casts and open_casts[-1] == depth)
        ):
            types.add(_type_name(tokens[index + 1].text))
    return types


def _is_word(token: Token) -> bool:
    return token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER) and (
        token.text.replace("_", "a").isalnum()
    )


def _type_name(data_type: str) -> str:
    """`number(38, 0)` -> number, `DOUBLE PRECISION` -> double precision."""
    return data_type.split("(")[0].strip().lower()
