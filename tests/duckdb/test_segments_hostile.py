"""Hostile registry values stay data (docs/registry.md: "Text values are data, never SQL").

Filter values holding quotes, `;drop table ...; --`, comments, Jinja (`{{ }}`, `{% %}`, `{#`),
backslashes, unicode, line breaks and the other line separators (VT, FF, NEL, U+2028, ...) are
compiled, built by dbt on DuckDB, and select exactly the rows whose value is that literal string;
the build leaves every mart in place. At unit level the compiled model is rendered (a stub Jinja
environment; no dbt) and parsed with sqlglot: the value is one SQL string literal and the query
has the same shape as with a harmless value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
import pytest
import sqlglot
from segments_support import (
    Events,
    SegmentProject,
    ago,
    campaign,
    funnel,
    members,
    segment,
    write_segment_files,
)
from sqlglot import exp

from segmart.compiler import generated_files
from segmart.compiler.models import model_name
from segmart.registry import load_registry

HOSTILE = {
    "quote": "'",
    "drop": "';drop table marts.sessions; --",
    "comment": "/* */",
    "jinja_expr": "{{ log('x') }}",
    "jinja_stmt": "{% macro %}",
    "jinja_comment": "{#",
    "jinja_close": "}} %} #} {{",
    "backslash": "back\\slash\\'\\\\",
    "unicode": "ünï-cødé 🚀 日本語",
    "double_quote": 'say "hi" -- now',
    "dollar": "$$ $1 %s ? :x",
    "newline": "line1\nline2 'two'",
    # Characters str.splitlines (and so textwrap) ends a line at, which YAML reads as ordinary
    # characters once escaped: re-indenting the SQL must not put spaces after them.
    "vertical_tab": "tab\x0bbed",
    "form_feed": "page\x0cfeed",
    "next_line": "next\x85line",
    "line_separator": "line\u2028separator",
    "paragraph_separator": "para\u2029graph",
    "record_separator": "rec\x1esep\x1cfile\x1dgroup",
}
DECOY = "~"  # each decoy visitor's values: the hostile value plus this suffix
NOTE_EVENT = "h_note"

HOSTILE_META = {
    "title": "{{ log('title') }} it's {% if %}\u2028then\x85end",
    "description": "/* */ {# ';drop table marts.sessions; -- #}",
    "owner": "o'brien@example.com",
    "use_case": '{{ 1/0 }} "quoted" \\',
}


def equals(value: str) -> dict:
    return {"equals": value, "case_sensitive": True}


def hostile_segments() -> list[dict]:
    entries = []
    for key, value in HOSTILE.items():
        entries += [
            segment(f"hu_{key}", {"attribute": "utm_campaign", **equals(value)}, grain="session"),
            segment(
                f"hp_{key}",
                {"performed": {"event": "page", "where": [{"property": "path", **equals(value)}]}},
            ),
            segment(
                f"he_{key}",
                {
                    "performed": {
                        "event": NOTE_EVENT,
                        "where": [{"property": "note", **equals(value)}],
                    }
                },
            ),
            segment(
                f"hn_{key}",
                {
                    "performed": {
                        "event": NOTE_EVENT,
                        "where": [{"property": "note", "contains": value}],
                    }
                },
            ),
        ]
    entries += [
        # A regular expression with quotes and braces, anchored so the decoy is out.
        segment(
            "hr_jinja",
            {
                "performed": {
                    "event": NOTE_EVENT,
                    "where": [{"property": "note", "regex": r"^\{\{ log\('x'\) \}\}$"}],
                }
            },
        ),
        # Case folding of non-ASCII text agrees between Python (the value) and DuckDB (the column).
        segment(
            "hu_unicode_folded",
            {"attribute": "utm_campaign", "equals": HOSTILE["unicode"].upper()},
            grain="session",
        ),
        segment(
            "hostile_meta",
            {"attribute": "utm_campaign", **equals(HOSTILE["drop"])},
            grain="session",
            **HOSTILE_META,
        ),
    ]
    return entries


def hostile_funnel() -> dict:
    """Step names, a step filter and metadata holding hostile text."""
    steps = [
        {
            "name": HOSTILE["jinja_expr"],
            "event": NOTE_EVENT,
            "where": [{"property": "note", **equals(HOSTILE["drop"])}],
        },
        {"name": HOSTILE["newline"], "event": "page"},
    ]
    meta = {key: HOSTILE_META[key] for key in ("title", "description", "owner")}
    return funnel("hostile", steps, **meta)


def hostile_events() -> Events:
    events = Events()
    when = ago(days=1)
    for key, value in HOSTILE.items():
        events.page(f"hc-{key}", when, context=campaign(source="hostile", name=value))
        events.page(f"hp-{key}", when, path=value)
        events.track(f"he-{key}", NOTE_EVENT, when, note=value)
        decoy, similar = f"hd-{key}", value + DECOY
        events.page(decoy, when, path=similar, context=campaign(source="hostile", name=similar))
        events.track(decoy, NOTE_EVENT, when, note=similar)
    return events


def notes() -> dict[str, str]:
    """Visitor -> the note it sent."""
    return {
        message["anonymousId"]: message["properties"]["note"]
        for message in hostile_events().messages
        if message.get("event") == NOTE_EVENT
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> SegmentProject:
    project = SegmentProject.create(tmp_path_factory.mktemp("segments-hostile"))
    project.write_segments(hostile_segments())
    project.write_funnels([hostile_funnel()])
    project.compile()
    project.write_events(hostile_events())
    project.build()
    return project


# --- built on DuckDB ------------------------------------------------------------------------------


def test_the_marts_survive(project):
    tables = {
        f"{schema}.{name}"
        for schema, name in project.query(
            "select table_schema, table_name from information_schema.tables"
        )
    }
    assert {"marts.sessions", "marts.users", "marts.events"} <= tables
    visitors = len({m.get("anonymousId") for m in hostile_events().messages})
    assert project.query("select count(distinct visitor_id) from marts.sessions") == [(visitors,)]


def test_the_values_arrive_intact(project):
    # The fixture itself: each hostile value reached the marts unchanged (else the segments
    # below would prove nothing).
    rows = project.query(
        "select visitor_id, utm_campaign from marts.sessions where visitor_id like 'hc-%'"
    )
    assert dict(rows) == {f"hc-{key}": value for key, value in HOSTILE.items()}


@pytest.mark.parametrize("key", HOSTILE)
def test_utm_equals(project, key):
    assert members(project, f"hu_{key}") == [f"hc-{key}#1"]


@pytest.mark.parametrize("key", HOSTILE)
def test_page_path_equals(project, key):
    assert members(project, f"hp_{key}") == [f"hp-{key}"]


@pytest.mark.parametrize("key", HOSTILE)
def test_property_equals(project, key):
    assert members(project, f"he_{key}") == [f"he-{key}"]


@pytest.mark.parametrize("key", HOSTILE)
def test_property_contains(project, key):
    needle = HOSTILE[key].lower()
    expected = sorted(visitor for visitor, note in notes().items() if needle in note.lower())
    assert f"he-{key}" in expected and f"hd-{key}" in expected
    assert members(project, f"hn_{key}") == expected


def test_regex_with_quotes_and_braces(project):
    assert members(project, "hr_jinja") == ["he-jinja_expr"]


def test_unicode_case_folding(project):
    assert members(project, "hu_unicode_folded") == ["hc-unicode#1"]


def test_hostile_metadata_is_text(project):
    assert members(project, "hostile_meta") == ["hc-drop#1"]
    [row] = project.query_dicts(
        "select title, owner, use_case from segments.segment_catalog "
        "where segment_name = 'hostile_meta'"
    )
    assert row == {key: HOSTILE_META[key] for key in ("title", "owner", "use_case")}


def test_hostile_funnel_text_is_data(project):
    rows = project.query(
        "select distinct step_number, step_name from reports.funnel_hostile order by 1"
    )
    assert rows == [(1, HOSTILE["jinja_expr"]), (2, HOSTILE["newline"])]
    # Only he-drop sent the note the first step filters on (so did no decoy); it viewed no
    # page after. Each segment it is in counts it at step 1.
    reached = project.query(
        "select segment_name, step_number, reached_members from reports.funnel_hostile"
        " where reached_members > 0 order by 1, 2"
    )
    segments_of_he_drop = project.query(
        "select segment_name from segments.segment_memberships where member_key = 'he-drop'"
    )
    assert "he_drop" in {name for (name,) in segments_of_he_drop}
    assert reached == [(name, 1, 1) for (name,) in sorted(segments_of_he_drop)]


def test_hostile_metadata_reaches_dbt_docs_unchanged(project):
    # The generated properties YAML (model descriptions for dbt docs and Dagster) reads back as
    # written, NEL and U+2028 included.
    manifest = json.loads((project.root / "target" / "manifest.json").read_text())
    node = manifest["nodes"][f"model.segmart.{model_name('hostile_meta')}"]
    assert node["description"] == f"{HOSTILE_META['title']}. {HOSTILE_META['description']}"


def test_dbt_compiled_sql_holds_the_value_as_one_literal(project):
    """dbt's own rendering (target/compiled): one statement, the value one string literal."""
    compiled = project.root / "target" / "compiled" / "segmart" / "models" / "segments"
    for key, value in HOSTILE.items():
        sql = (compiled / "generated" / f"{model_name('he_' + key)}.sql").read_text()
        statements = sqlglot.parse(sql, read="duckdb")
        assert len(statements) == 1
        assert value in string_values(statements[0])


# --- unit level: rendered and parsed --------------------------------------------------------------

PLACEHOLDER = "harmless"


class _Namespace:
    def __init__(self, **functions) -> None:
        self.__dict__.update(functions)


# The macros generated segment models call, as plain SQL (the DuckDB implementations).
RENDER_CONTEXT = {
    "ref": lambda name: f"ref_{name}",
    "segmart": _Namespace(
        as_of=lambda: "cast('2024-06-01 00:00:00' as timestamp)",
        json_text=lambda column, path: f"json_extract_string({column}, '{path}')",
        seconds_between=lambda start, end: f"(epoch({end}) - epoch({start}))",
        regex_match=lambda text, caller: f"regexp_matches({text}, {caller()})",
        text_contains_block=lambda text, caller: f"position({caller()} in {text}) > 0",
        time_add=lambda part, amount, start: f"({start} + interval ({amount}) {part})",
    ),
    "dbt": _Namespace(type_string=lambda: "varchar"),
}


def render(template: str) -> str:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    return environment.from_string(template).render(RENDER_CONTEXT)


def fold(node: exp.Expression) -> str | None:
    """The text of a string literal, or of a `||` chain of literals and chr(n); else None."""
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if isinstance(node, exp.Chr):
        [code] = node.expressions
        return chr(int(code.this)) if isinstance(code, exp.Literal) else None
    if isinstance(node, exp.DPipe):
        left, right = fold(node.this), fold(node.expression)
        return None if left is None or right is None else left + right
    return None


def string_values(tree: exp.Expression) -> set[str]:
    return {text for node in tree.walk() if (text := fold(node)) is not None}


def replace_value(tree: exp.Expression, value: str, replacement: str) -> exp.Expression:
    def swap(node: exp.Expression) -> exp.Expression:
        return exp.Literal.string(replacement) if fold(node) == value else node

    return tree.transform(swap)


def compiled_model(tmp_path: Path, name: str, condition: dict, grain: str) -> str:
    folder = write_segment_files(tmp_path / name, [segment("probe", condition, grain=grain)])
    registry = load_registry(folder)
    [model] = [f for f in generated_files(registry) if f.path.name == "seg_probe.sql"]
    return model.text


LOCATIONS = {
    "utm": (lambda v: {"attribute": "utm_campaign", **equals(v)}, "session"),
    "user_column": (lambda v: {"attribute": "user.plan", **equals(v)}, "session"),
    "path": (
        lambda v: {"performed": {"event": "page", "where": [{"property": "path", **equals(v)}]}},
        "user",
    ),
    "property": (
        lambda v: {"performed": {"event": "x", "where": [{"property": "note", **equals(v)}]}},
        "user",
    ),
    "contains": (
        lambda v: {"attribute": "utm_term", "contains": v, "case_sensitive": True},
        "session",
    ),
    "regex": (
        lambda v: {"attribute": "utm_term", "regex": re.escape(v), "case_sensitive": True},
        "session",
    ),
    "sequence": (
        lambda v: {
            "sequence": {
                "steps": [{"event": "a", "where": [{"property": "k", **equals(v)}]}, {"not": "b"}],
                "within": "same_session",
                "session_where": [{"attribute": "country", **equals(v)}],
            }
        },
        "user",
    ),
}


@pytest.mark.parametrize("location", LOCATIONS)
@pytest.mark.parametrize("key", HOSTILE)
def test_rendered_sql_has_the_value_only_as_a_literal(tmp_path, key, location):
    make, grain = LOCATIONS[location]
    value = HOSTILE[key]
    if location == "regex":
        # RE2 needs no escape for these; the pattern text is what reaches SQL.
        value = re.escape(value)
        if re.search(r"\\[1-9]", value):
            pytest.skip("the registry rejects backreference-like escapes")
    hostile = render(compiled_model(tmp_path, "hostile", make(HOSTILE[key]), grain))
    harmless = render(compiled_model(tmp_path, "harmless", make(PLACEHOLDER), grain))

    [tree] = sqlglot.parse(hostile, read="duckdb")  # one statement: nothing was appended
    assert value in string_values(tree)
    [reference] = sqlglot.parse(harmless, read="duckdb")
    # Same query shape once the literal is swapped: the value changed nothing but the literal.
    swapped = replace_value(tree, value, PLACEHOLDER).sql(dialect="duckdb", comments=False)
    assert swapped == reference.sql(dialect="duckdb", comments=False)
    # And the raw value never appears outside a literal in the rendered text.
    outside = re.sub(r"'(?:[^']|'')*'", "''", hostile)
    for fragment in ("drop table", "log(", "macro", "/*"):
        if fragment in value:
            assert fragment not in outside
