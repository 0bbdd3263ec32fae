"""The JSON Schema editors use: generated from the models, committed, and in step with them."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from segmart.registry.schema import json_schema, schema_text, stale_schemas

jsonschema = pytest.importorskip("jsonschema")

PROJECT = Path(__file__).resolve().parents[2]
SEGMENTS = sorted((PROJECT / "segments").glob("*.yml"))
FUNNELS = sorted((PROJECT / "funnels").glob("*.yml"))
MODELINE = "# yaml-language-server: $schema=../schemas/{kind}.schema.json"


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
    return _validator("segment")


def _validator(kind: str):
    schema = json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_files_are_up_to_date():
    assert stale_schemas() == [], "run `segmart schema`"
    assert json.loads(schema_text())["$schema"].endswith("2020-12/schema")
    assert json.loads(schema_text("funnel"))["title"] == "segmart funnel"


@pytest.mark.parametrize("path", SEGMENTS, ids=lambda path: path.stem)
def test_starter_segments_match_the_schema_and_point_to_it(path, validator):
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == MODELINE.format(kind="segment")
    errors = list(validator.iter_errors(_as_editor_sees_it(yaml.safe_load(text))))
    assert errors == []


def test_starter_funnels_match_their_schema_and_point_to_it():
    validator = _validator("funnel")
    assert [path.stem for path in FUNNELS] == ["checkout", "purchase"]
    for path in FUNNELS:
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == MODELINE.format(kind="funnel")
        assert list(validator.iter_errors(yaml.safe_load(text))) == [], path.name


@pytest.mark.parametrize(
    "funnel",
    [
        # a step without an event, a misspelt key, one step, an unknown scope
        {"steps": [{"name": "a"}, {"name": "b", "event": "x"}]},
        {"steps": [{"name": "a", "event": "x"}, {"name": "b", "evnt": "x"}]},
        {"steps": [{"name": "a", "event": "x"}]},
        {"scope": "visit", "steps": [{"name": "a", "event": "x"}, {"name": "b", "event": "y"}]},
    ],
)
def test_the_funnel_schema_flags_what_validate_refuses(funnel):
    entry = {"name": "f", "title": "F", "description": "D.", "owner": "o"} | funnel
    assert list(_validator("funnel").iter_errors(entry)) != []


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
