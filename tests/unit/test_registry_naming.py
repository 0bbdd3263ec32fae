"""Event-name normalization: the normalize_event_name macro, as the registry evaluates it.

Segments name events as people write them; the warehouse stores them normalized. The registry
does not restate the rule: segmart.naming renders the macro and runs it on DuckDB, so these
tricky cases test the one rule both sides use.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from segmart.naming import event_name_expression, normalize_event_name

MACROS = Path(__file__).resolve().parents[2] / "macros"

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


def test_the_registry_evaluates_the_macro_itself():
    """Python holds no copy of the rule: its expression is the macro's, rendered for DuckDB."""
    source = (MACROS / "sessions" / "normalize.sql").read_text(encoding="utf-8")
    assert "[^a-z0-9]+" in source
    assert event_name_expression("name") == (
        "nullif(trim(regexp_replace(lower(name), '[^a-z0-9]+', '_', 'g'), '_'), '')"
    )
