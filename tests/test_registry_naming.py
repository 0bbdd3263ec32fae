"""normalize_event_name, the Python twin of the normalize_event_name SQL macro.

Segments name events as people write them; the warehouse stores them normalized. If the two
normalizations differed, a segment would silently match nothing, so the tricky cases are run
through both: this function and the macro's SQL expression (rendered from the macro files, with
the DuckDB implementation of the regex it dispatches) on DuckDB.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import duckdb
import jinja2
import pytest

from segmart.naming import normalize_event_name

# The fast suite (scripts/test_fast.sh): no dbt run, engine, server or browser.
pytestmark = pytest.mark.unit

MACROS = Path(__file__).resolve().parent.parent / "macros"
MACRO_FILE = MACROS / "sessions" / "normalize.sql"
ENGINE_MACROS = MACROS / "engine" / "cross_engine.sql"

CASES = [
    ("Order Completed", "order_completed"),
    ("order_completed", "order_completed"),
    ("order-completed", "order_completed"),
    ("Order  --  Completed!!", "order_completed"),
    ("  Product Added  ", "product_added"),
    ("__Product__Added__", "product_added"),
    ("ProductAdded", "productadded"),
    ("Checkout Step 2 Viewed", "checkout_step_2_viewed"),
    ("2FA Enabled", "2fa_enabled"),
    ("page", "page"),
    ("Café Visited", "caf_visited"),
    ("Größe geändert", "gr_e_ge_ndert"),
    ("İstanbul Trip", "istanbul_trip"),  # U+0130: SQL's simple lower case, not Python's full one
    ("KELVIN\u212a", "kelvink"),  # the Kelvin sign lower-cases to an ASCII k
    ("tab\tand\nnewline", "tab_and_newline"),
    ("emoji 🚀 launch", "emoji_launch"),
    ("日本語", None),
    ("", None),
    ("   ", None),
    ("___", None),
    ("!!!", None),
]


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_normalize_event_name(name, expected):
    assert normalize_event_name(name) == expected


def test_none_stays_none():
    assert normalize_event_name(None) is None


def rendered_macro(column: str) -> str:
    """normalize_event_name(column) as the macro renders on DuckDB."""
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    engine = environment.from_string(ENGINE_MACROS.read_text(encoding="utf-8")).module
    segmart = SimpleNamespace(
        regex_replace_all=engine.default__regex_replace_all, trim_chars=engine.default__trim_chars
    )
    macros = environment.from_string(
        MACRO_FILE.read_text(encoding="utf-8"), globals={"segmart": segmart}
    ).module
    return str(macros.normalize_event_name(column))


def test_python_and_the_sql_macro_agree():
    """The macro's own expression, evaluated by DuckDB on every case (and on None)."""
    expression = rendered_macro("name")
    assert "regexp_replace(lower(name)" in expression
    names = [name for name, _ in CASES] + [None]
    with duckdb.connect() as connection:
        rows = connection.execute(
            f"select name, {expression} from unnest(?::varchar[]) as t(name)", [names]
        ).fetchall()
    assert {name: sql for name, sql in rows} == {name: normalize_event_name(name) for name in names}


def test_python_and_the_compile_time_jinja_agree():
    """The macro's Jinja form (names known when dbt compiles, as segment_funnel's steps), with
    dbt's `modules.re` and `return` as dbt provides them."""
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    macros = environment.from_string(
        MACRO_FILE.read_text(encoding="utf-8"),
        globals={"modules": SimpleNamespace(re=re), "return": lambda value: value},
    ).module
    for name, expected in CASES:
        assert str(macros.normalized_event_name_text(name)) == (expected or "")
