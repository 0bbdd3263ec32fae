"""Every macro segmart dispatches has an implementation for every engine it runs on: dbt resolves
a dispatched macro's candidates when it compiles a node that calls it, so one missing for an engine
fails every compile there, whether or not the call would run (Spark, Snowflake, BigQuery included).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("duckdb", "postgres", "spark", "snowflake", "bigquery")
DISPATCH = re.compile(r"adapter\.dispatch\('(\w+)', 'segmart'\)")
DEFINITION = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(")


def sources() -> list[Path]:
    return [
        *ROOT.glob("macros/**/*.sql"),
        *ROOT.glob("models/**/*.sql"),
        *ROOT.glob("tests/dbt/*.sql"),
    ]


def test_every_dispatched_macro_has_an_implementation_for_every_engine():
    texts = [path.read_text() for path in sources()]
    dispatched = {name for text in texts for name in DISPATCH.findall(text)}
    defined = {name for text in texts for name in DEFINITION.findall(text)}
    assert "iso_utc_text" in dispatched and "default__iso_utc_text" in defined
    missing = sorted(
        f"{engine}__{name}"
        for name in dispatched
        for engine in ENGINES
        if f"{engine}__{name}" not in defined and f"default__{name}" not in defined
    )
    assert not missing, f"dispatched without an implementation (or a default__): {missing}"
