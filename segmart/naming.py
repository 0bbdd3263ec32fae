"""Names as the warehouse matches them: the Python twin of macros/sessions/normalize.sql.

Segments name events the way people write them ("Product Added", "product-added"); the warehouse
stores `event_name` normalized. Both sides must normalize identically, or a segment silently
matches nothing, so tests run this function and the SQL macro on the same tricky inputs.
"""

from __future__ import annotations

import re

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")

# Python's str.lower() applies Unicode's full case mapping; SQL engines (DuckDB's utf8proc) the
# simple one. The only character where that changes the result here is U+0130 (capital I with a
# dot): Python gives "i" + U+0307 (-> "i_"), DuckDB a plain "i". Checked over every code point.
_SIMPLE_LOWER = str.maketrans({"\u0130": "i"})


def normalize_event_name(name: str | None) -> str | None:
    """Lower case, each run of characters other than a-z and 0-9 -> "_", "_" trimmed at both
    ends; None when nothing is left (or for None), like the SQL `nullif(..., '')`.

    >>> normalize_event_name("Order Completed")
    'order_completed'
    >>> normalize_event_name("  --  ") is None
    True
    """
    if name is None:
        return None
    lowered = name.translate(_SIMPLE_LOWER).lower()
    return _NOT_ALPHANUMERIC.sub("_", lowered).strip("_") or None
