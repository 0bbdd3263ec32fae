"""The JSON Schema editors use: generated from the models, committed, and in step with them."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from segmart.registry.schema import SCHEMA_PATH, schema_text, segment_json_schema

jsonschema = pytest.importorskip("jsonschema")

SEGMENTS = sorted((Path(__file__).resolve().parents[2] / "segments").glob("*.yml"))
MODELINE = "# yaml-language-server: $schema=../schemas/segment.schema.json"


def _as_editor_sees_it(value: Any) -> Any:
    """YAML 1.2 editors read 2026-10-01 as text; PyYAML (YAML 1.1) as a date."""
    if isinstance(value, dict):
        return {key: _as_editor_sees_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_editor_sees_it(item) for item in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator():
    """A validator for the generated schema (generating it takes a tenth of a second)."""
    schema = segment_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_file_is_up_to_date():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "schemas/segment.schema.json is stale: run `segmart schema`"
    )
    assert json.loads(schema_text())["$schema"].endswith("2020-12/schema")


@pytest.mark.parametrize("path", SEGMENTS, ids=lambda path: path.stem)
def test_starter_segments_match_the_schema_and_point_to_it(path, validator):
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == MODELINE
    errors = list(validator.iter_errors(_as_editor_sees_it(yaml.safe_load(text))))
    assert errors == []


@pytest.mark.parametrize(
    "where",
    [
        {"attribute": "channel", "equls": "x"},
        {"attribute": "channel", "equals": "x", "contains": "y"},
        {"performed": {"event": "x"}, "window": {"last_days": 7}},
        {"performed": {"event": "x", "times": {"at_least": 1, "at_most": 3}}},
        {"performed": {"event": "x", "window": {"last_days": 7, "last_hours": 2}}},
        {"sequence": {"steps": [{"event": "a"}]}},
        {"aggregate": {"function": "sum", "event": "x"}, "gte": 1, "lt": 5},
        {"in_segment": "Not A Slug"},
    ],
)
def test_schema_rejects_what_validate_rejects(where, validator):
    entry = {
        "name": "x",
        "title": "X",
        "description": "D.",
        "owner": "o",
        "use_case": "U.",
        "visibility": "public",
        "grain": "session",
        "refresh": "daily",
        "where": where,
    }
    assert list(validator.iter_errors(entry)) != []
