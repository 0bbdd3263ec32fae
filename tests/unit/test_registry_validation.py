"""`segmart validate`'s checks: each problem with its exact file, line, field and message.

Each test writes a small registry into tmp_path (files from registry_support.segment_yaml:
`where:` on line 9, its first nested line on line 10) and asserts the complete list of problems,
so a check that fires twice, or a problem that hides another, fails too.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
from registry_support import (
    load,
    problems,
    segment_yaml,
    write_registry,
    write_segments,
)

from segmart.registry import (
    AllOf,
    AttributeFilter,
    Problem,
    RegistryError,
    load_registry,
)

PROJECT_SEGMENTS = Path(__file__).resolve().parents[2] / "segments"

STARTER_SEGMENTS = {
    # session grain
    "paid_search",
    "paid_social",
    "organic_search",
    "direct",
    "high_intent",
    "mid_intent",
    "low_intent",
    "rage_click_sessions",
    "dead_click_sessions",
    "error_sessions",
    "quick_back_sessions",
    "mobile",
    "desktop",
    "first_time_visit",
    "consideration",
    "decision",
    "action",
    "paid_search_high_intent",
    # account grain
    "active_accounts",
    "checkout_error_accounts",
    "enterprise_usage_dropped",
    # user grain
    "almost_bought",
    "enterprise_users",
    "cart_stalled",
    "churn_risk",
    "data_team_pro_usage",
    "error_before_order",
    "frustrated_users",
    "onboarding_stalled",
    "activated_fast",
    "engagement_dropped",
    "high_value",
    "power_users",
}


# --- the starter library ------------------------------------------------------------------------


def test_starter_library_validates():
    registry = load_registry(PROJECT_SEGMENTS)
    assert set(registry.names) == STARTER_SEGMENTS
    user_grain = {name for name in registry.names if registry[name].grain == "user"}
    assert user_grain == {
        "almost_bought",
        "cart_stalled",
        "churn_risk",
        "data_team_pro_usage",
        "enterprise_users",
        "error_before_order",
        "frustrated_users",
        "onboarding_stalled",
        "activated_fast",
        "engagement_dropped",
        "high_value",
        "power_users",
    }


def test_starter_library_dependencies():
    registry = load_registry(PROJECT_SEGMENTS)
    assert registry.dependencies("paid_search_high_intent") == ("paid_search", "high_intent")
    assert registry.dependents("paid_search") == ("paid_search_high_intent",)
    assert registry.dependencies("paid_search") == ()
    order = registry.names
    assert order.index("paid_search_high_intent") > order.index("paid_search")
    assert order.index("paid_search_high_intent") > order.index("high_intent")


# --- dependency order ---------------------------------------------------------------------------


def test_segments_come_after_the_segments_they_use(tmp_path):
    directory = write_segments(
        tmp_path,
        ("a_top", "all: [{in_segment: m_middle}, {in_segment: z_base}]"),
        ("m_middle", "in_segment: z_base"),
        ("z_base", "attribute: channel\nequals: Direct"),
        ("b_alone", "attribute: channel\nequals: Email"),
    )
    registry = load(directory)
    assert registry.names == ("b_alone", "z_base", "m_middle", "a_top")
    assert [segment.name for segment in registry] == list(registry.names)
    assert registry.dependencies("a_top") == ("m_middle", "z_base")
    assert registry.dependents("z_base") == ("m_middle", "a_top")
    assert registry.files["a_top"] == directory / "a_top.yml"
    assert "z_base" in registry and len(registry) == 4


# --- YAML ---------------------------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(tmp_path):
    text = segment_yaml("a", "attribute: channel\nequals: [Direct")
    directory = write_registry(tmp_path, {"a.yml": text})
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a': invalid YAML: expected ',' or ']', but got '<stream end>'"
        " (column 1)"
    ]


def test_duplicate_key(tmp_path):
    text = segment_yaml("a", "attribute: channel\nequals: Direct") + "title: again\n"
    directory = write_registry(tmp_path, {"a.yml": text})
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'title': duplicate key 'title' (first at line 2)"
    ]


def test_empty_file_and_non_mapping(tmp_path):
    directory = write_registry(tmp_path, {"a.yml": "# nothing yet\n", "b.yml": "- name: b\n"})
    assert problems(directory) == [
        "segments/a.yml:1: segment 'a': expected a mapping of segment fields, got an empty file",
        "segments/b.yml:1: segment 'b': expected a mapping of segment fields, got a list",
    ]


def test_anchors_merge_keys_and_a_byte_order_mark(tmp_path):
    where = """
    all:
      - &paid {attribute: channel, equals: Paid Search}
      - not: *paid
      - {<<: *paid, equals: Direct}
    """
    text = "\ufeff" + segment_yaml("a", where)
    registry = load(write_registry(tmp_path, {"a.yml": text}))
    paid, negated, merged = registry["a"].where.conditions
    assert negated.condition == paid
    assert (merged.attribute, merged.value) == ("channel", ("Direct",))


def test_not_utf8(tmp_path):
    directory = write_registry(tmp_path, {})
    (directory / "a.yml").write_bytes(b"name: a\ntitle: caf\xe9\n")
    assert problems(directory) == [
        "segments/a.yml:1: segment 'a': not UTF-8 text (invalid continuation byte)"
    ]


def test_yaml_extension_is_reported_not_ignored(tmp_path):
    directory = write_registry(tmp_path, {"a.yaml": segment_yaml("a", "in_segment: a")})
    assert problems(directory) == [
        "segments/a.yaml:1: segment 'a': segment files end in .yml: rename it to a.yml"
    ]


# --- hostile files: each a problem with its line, never a traceback or a hang ------------------


def test_nul_in_any_text_is_an_error(tmp_path):
    # No warehouse stores NUL in text (PostgreSQL refuses it), and one in a title would break
    # the catalog of every segment.
    where = r"""
    attribute: utm_campaign
    equals: [spring, "spr\0ing", "\ud800"]
    """
    text = segment_yaml("a", where, title=r'"Sale\0"')
    assert problems(write_registry(tmp_path, {"a.yml": text})) == [
        "segments/a.yml:2: segment 'a', field 'title': text holds U+0000 (NUL), which warehouses "
        "cannot store in text: remove it",
        "segments/a.yml:11: segment 'a', field 'where.equals[1]': text holds U+0000 (NUL), which "
        "warehouses cannot store in text: remove it",
        "segments/a.yml:11: segment 'a', field 'where.equals[2]': text holds U+D800, half of a "
        "UTF-16 surrogate pair, not a character: write the character itself",
    ]


def test_keys_that_cannot_be_names_are_reported_at_their_line(tmp_path):
    files = {
        "a.yml": segment_yaml("a", "attribute: channel\nequals: Direct") + '"ti\\0tle": x\n',
        "b.yml": segment_yaml("b", "attribute: channel\nequals: Direct") + "? [x]\n: y\n",
    }
    assert problems(write_registry(tmp_path, files)) == [
        "segments/a.yml:12: segment 'a': a key: text holds U+0000 (NUL), which warehouses cannot "
        "store in text: remove it",
        "segments/b.yml:12: segment 'b': a key must be a plain word",
    ]


def test_a_problem_shows_control_characters_of_a_value_escaped(tmp_path):
    # One problem a line, and a value cannot clear the screen or reorder the text around it.
    text = segment_yaml("a", "in_segment: b", grain=r'"\e[2Juser\n\u202e"')
    assert problems(write_registry(tmp_path, {"a.yml": text})) == [
        "segments/a.yml:7: segment 'a', field 'grain': invalid value '\\x1b[2Juser\\n\\u202e': "
        "expected one of user, session, account"
    ]


RAW_REFUSED = {
    "\x00": "a YAML file cannot hold it raw: write it escaped in double quotes, e.g. \\t",
    "\x0b": "a YAML file cannot hold it raw: write it escaped in double quotes, e.g. \\t",
    "\x7f": "a YAML file cannot hold it raw: write it escaped in double quotes, e.g. \\t",
    # YAML 1.1 (PyYAML) reads these as line breaks (a quoted NEL becomes a space), YAML 1.2
    # (editors) as characters: the file would mean two things.
    "\x85": "YAML reads it as a line break: write it escaped in double quotes (\\N, \\L, \\P)",
    "\u2028": "YAML reads it as a line break: write it escaped in double quotes (\\N, \\L, \\P)",
    "\u2029": "YAML reads it as a line break: write it escaped in double quotes (\\N, \\L, \\P)",
}


@pytest.mark.parametrize("raw", RAW_REFUSED)
def test_raw_characters_yaml_cannot_hold_or_reads_as_line_breaks(tmp_path, raw):
    text = segment_yaml("a", f"attribute: utm_campaign\nequals: 'x{raw}y'")
    code = f"U+{ord(raw):04X}"
    assert problems(write_registry(tmp_path, {"a.yml": text})) == [
        f"segments/a.yml:11: segment 'a': character {code} at column 13: {RAW_REFUSED[raw]}"
    ]


def test_escaped_line_separators_are_characters_of_the_value(tmp_path):
    where = r"""
    attribute: utm_campaign
    equals: ["a\vb", "a\fb", "a\Nb", "a\Lb", "a\Pb", "a\x1eb", "a\tb", "a\rb"]
    """
    registry = load(write_registry(tmp_path, {"a.yml": segment_yaml("a", where)}))
    assert registry["a"].where.value == tuple(
        f"a{separator}b"
        for separator in ("\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x1e", "\t", "\r")
    )


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    # 550 bytes that expand to 9**9 values if aliases are followed.
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    directory = write_registry(tmp_path, {"a.yml": "\n".join(lines) + "\n"})
    started = time.monotonic()
    assert problems(directory) == [
        "segments/a.yml:4: segment 'a': YAML aliases expand to more than 1000 values beyond those "
        "written: write the values out"
    ]
    assert time.monotonic() - started < 5


def test_merge_keys_count_against_the_alias_budget(tmp_path):
    lines = ["m0: &m0 {" + ", ".join(f"k{i}: v" for i in range(30)) + "}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}, *m{i - 1}]}}" for i in range(1, 12)]
    directory = write_registry(tmp_path, {"a.yml": "\n".join(lines) + "\n"})
    started = time.monotonic()
    assert problems(directory) == [
        "segments/a.yml:4: segment 'a': YAML aliases expand to more than 1000 values beyond those "
        "written: write the values out"
    ]
    assert time.monotonic() - started < 5


def test_nesting_is_bounded(tmp_path):
    def nested(depth: int) -> str:
        return "{not: " * depth + "{attribute: channel, equals: Direct}" + "}" * depth

    assert load(write_segments(tmp_path / "ok", ("a", nested(40))))["a"].where is not None
    assert problems(write_segments(tmp_path / "deep", ("a", nested(5000)))) == [
        "segments/a.yml:10: segment 'a': nested deeper than 64 levels"
    ]


def test_invalid_dates_and_timestamps(tmp_path):
    where = """
    all:
      - {attribute: session_start, gt: 2026-02-30}
      - {attribute: session_start, lt: 2026-02-28 25:00:00}
      - {attribute: session_start, lt: 2026-02-28T10:00:00+25:00}
      - {attribute: session_start, lt: 9999-12-31T23:00:00-05:00}
      - performed: {event: x, window: {between: [0000-01-01, 2026-03-01]}}
    """
    text = segment_yaml("a", where, description="2026-02-29")
    assert problems(write_registry(tmp_path, {"a.yml": text})) == [
        "segments/a.yml:3: segment 'a', field 'description': invalid date or timestamp "
        "'2026-02-29': day is out of range for month (quote it if it is text)",
        "segments/a.yml:11: segment 'a', field 'where.all[0].gt': invalid date or timestamp "
        "'2026-02-30': day is out of range for month (quote it if it is text)",
        "segments/a.yml:12: segment 'a', field 'where.all[1].lt': invalid date or timestamp "
        "'2026-02-28 25:00:00': hour must be in 0..23 (quote it if it is text)",
        "segments/a.yml:13: segment 'a', field 'where.all[2].lt': invalid date or timestamp "
        "'2026-02-28T10:00:00+25:00': offset must be a timedelta strictly between "
        "-timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=1, "
        "seconds=3600). (quote it if it is text)",
        "segments/a.yml:14: segment 'a', field 'where.all[3].lt': timestamp "
        "9999-12-31T23:00:00-05:00 is out of range once converted to UTC",
        "segments/a.yml:15: segment 'a', field 'where.all[4].performed.window.between[0]': "
        "invalid date or timestamp '0000-01-01': year 0 is out of range (quote it if it is text)",
    ]


def test_explicit_tags_on_values_that_are_not_of_their_kind(tmp_path):
    fields = {"title": "!!bool maybe", "description": "!!timestamp soon", "owner": "!!int abc"}
    text = segment_yaml("a", "attribute: channel\nequals: Direct", **fields)
    assert problems(write_registry(tmp_path, {"a.yml": text})) == [
        "segments/a.yml:2: segment 'a', field 'title': invalid boolean 'maybe': unreadable "
        "(quote it if it is text)",
        "segments/a.yml:3: segment 'a', field 'description': invalid date or timestamp 'soon': "
        "unreadable (quote it if it is text)",
        "segments/a.yml:4: segment 'a', field 'owner': invalid whole number 'abc': invalid "
        "literal for int() with base 10: 'abc' (quote it if it is text)",
    ]


def test_integers_are_plain_decimal_and_64_bit(tmp_path):
    where = f"""
    all:
      - {{attribute: page_count, gt: 010}}
      - {{attribute: page_count, gt: 0x1f}}
      - {{attribute: page_count, gt: 1:30}}
      - {{attribute: page_count, gt: {"9" * 5000}}}
      - {{attribute: page_count, gt: -9223372036854775808}}
      - performed: {{event: x, times: {{at_least: 9_223_372_036_854_775_807}}}}
    """
    text = segment_yaml("a", where, min_members="1_000")
    assert problems(write_registry(tmp_path, {"a.yml": text})) == [
        "segments/a.yml:12: segment 'a', field 'where.all[0].gt': '010' is a YAML 1.1 number in "
        "another base: write the number in plain digits, or quote it if it is text",
        "segments/a.yml:13: segment 'a', field 'where.all[1].gt': '0x1f' is a YAML 1.1 number "
        "in another base: write the number in plain digits, or quote it if it is text",
        "segments/a.yml:14: segment 'a', field 'where.all[2].gt': '1:30' is a YAML 1.1 number in "
        "another base: write the number in plain digits, or quote it if it is text",
        "segments/a.yml:15: segment 'a', field 'where.all[3].gt': invalid whole number "
        f"'{'9' * 40}...': 5000 digits is too many (quote it if it is text)",
        "segments/a.yml:16: segment 'a', field 'where.all[4].gt': whole number "
        "-9223372036854775808 is out of range: at most 9223372036854775807 either side of 0 "
        "(64 bits)",
    ]


# --- unknown fields and operators ---------------------------------------------------------------


def test_unknown_field_with_suggestion(tmp_path):
    text = segment_yaml("a", "attribute: channel\nequals: Direct").replace("title:", "titel:")
    directory = write_registry(tmp_path, {"a.yml": text})
    assert problems(directory) == [
        "segments/a.yml:2: segment 'a', field 'titel': unknown field 'titel' "
        "(did you mean 'title'?)"
    ]


def test_unknown_operator_with_suggestion(tmp_path):
    directory = write_segments(tmp_path, ("a", "attribute: channel\nequls: Direct"))
    assert problems(directory) == [
        "segments/a.yml:11: segment 'a', field 'where.equls': unknown operator 'equls' "
        "(did you mean 'equals'?)"
    ]


def test_unknown_field_without_a_close_match_lists_the_fields(tmp_path):
    where = """
    performed:
      event: product_added
      colour: blue
    """
    directory = write_segments(tmp_path, ("a", where))
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.performed.colour': unknown field 'colour' "
        "(expected one of: event, where, times, window, same_session)"
    ]


def test_unknown_condition_with_suggestion(tmp_path):
    directory = write_segments(tmp_path, ("a", "all:\n  - perfromed: {event: product_added}"))
    assert problems(directory) == [
        "segments/a.yml:11: segment 'a', field 'where.all[0].perfromed': unknown condition "
        "'perfromed' (did you mean 'performed'?)"
    ]


def test_a_condition_has_exactly_one_condition_key(tmp_path):
    where = """
    attribute: channel
    equals: Direct
    performed: {event: product_added}
    """
    directory = write_segments(tmp_path, ("a", where))
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.performed': a condition has exactly one "
        "condition key; found 'attribute' and 'performed' (combine conditions with all: or any:)"
    ]


def test_fields_beside_a_wrapped_condition(tmp_path):
    where = """
    performed: {event: product_added}
    window: {last_days: 7}
    """
    directory = write_segments(tmp_path, ("a", where))
    assert problems(directory) == [
        "segments/a.yml:11: segment 'a', field 'where.window': unknown field 'window' beside "
        "'performed' (its fields go inside 'performed')"
    ]


# --- types, required fields, exactly-one rules --------------------------------------------------


def test_wrong_value_types(tmp_path):
    text = segment_yaml(
        "a",
        """
        performed:
          event: report_exported
          times: {at_least: 2.5}
        """,
        min_members='"100"',
    )
    directory = write_registry(tmp_path, {"a.yml": text})
    assert problems(directory) == [
        "segments/a.yml:9: segment 'a', field 'min_members': expected a whole number, got text "
        "'100' (write it without quotes)",
        "segments/a.yml:13: segment 'a', field 'where.performed.times.at_least': expected a whole "
        "number, got number 2.5",
    ]


def test_yaml_booleans_are_not_text(tmp_path):
    directory = write_segments(tmp_path, ("a", "attribute: country\nequals: NO"))
    assert problems(directory) == [
        "segments/a.yml:11: segment 'a', field 'where.equals': column 'country' is varchar: "
        "expected text, got boolean false (YAML reads unquoted yes/no/on/off/true/false as "
        "booleans: quote the text)"
    ]
    directory = write_segments(tmp_path, ("a", "attribute: country\nequals: 'NO'"))
    assert problems(directory) == []


def test_invalid_choice(tmp_path):
    text = segment_yaml("a", "in_segment: b", grain="users")
    directory = write_registry(tmp_path, {"a.yml": text})
    assert problems(directory) == [
        "segments/a.yml:7: segment 'a', field 'grain': invalid value 'users': expected one of "
        "user, session, account (did you mean 'user'?)"
    ]


def test_missing_required_fields(tmp_path):
    text = segment_yaml("a", "performed: {window: {last_days: 7}}").replace(
        "owner: tests@example.com\n", ""
    )
    directory = write_registry(tmp_path, {"a.yml": text})
    assert problems(directory) == [
        "segments/a.yml:1: segment 'a', field 'owner': missing required field 'owner'",
        "segments/a.yml:9: segment 'a', field 'where.performed.event': missing required field "
        "'event'",
    ]


def test_a_misspelt_field_is_not_also_reported_missing(tmp_path):
    directory = write_segments(tmp_path, ("a", "performed: {evnt: product_added}"))
    assert problems(directory) == [
        "segments/a.yml:10: segment 'a', field 'where.performed.evnt': unknown field 'evnt' "
        "(did you mean 'event'?)"
    ]


def test_a_key_without_a_value(tmp_path):
    directory = write_segments(tmp_path, ("a", "performed:\n  event: product_added\n  window:\n"))
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.performed.window': no value given "
        "(write a value or remove the key)"
    ]


def test_one_operator_per_filter(tmp_path):
    directory = write_segments(
        tmp_path, ("a", "attribute: landing_page\nequals: /\nstarts_with: /blog")
    )
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.starts_with': one operator per filter "
        "(write several filters in an all:); found 'equals' and 'starts_with'"
    ]


def test_missing_operator(tmp_path):
    directory = write_segments(tmp_path, ("a", "attribute: landing_page"))
    assert problems(directory) == [
        "segments/a.yml:9: segment 'a', field 'where': missing operator: add one of equals, "
        "not_equals, in, not_in, contains, starts_with, ends_with, regex, gt, gte, lt, lte, "
        "between, is_set, is_not_set"
    ]


def test_times_has_exactly_one_bound(tmp_path):
    where = """
    performed:
      event: report_exported
      times: {at_least: 2, at_most: 5}
    """
    directory = write_segments(tmp_path, ("a", where))
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.performed.times.at_most': times has "
        "exactly one of at_least, at_most, exactly; found 'at_least' and 'at_most'"
    ]


def test_a_window_has_exactly_one_form(tmp_path):
    where = """
    performed:
      event: report_exported
      window: {last_days: 7, last_hours: 3}
    """
    directory = write_segments(tmp_path, ("a", where))
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.performed.window.last_hours': a window has "
        "exactly one window key; found 'last_days' and 'last_hours'"
    ]


def test_between_takes_two_ordered_values(tmp_path):
    where = """
    all:
      - attribute: page_count
        between: [5, 2]
      - attribute: page_count
        between: [1, 2, 3]
      - performed:
          event: page
          window: {between: [2026-10-31, 2026-10-01]}
    """
    directory = write_segments(tmp_path, ("a", where))
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.all[0].between': low 5 is greater than "
        "high 2: write [low, high]",
        "segments/a.yml:14: segment 'a', field 'where.all[1].between': expected [low, high] "
        "(exactly two numbers, dates or timestamps), got 3 values",
        "segments/a.yml:17: segment 'a', field 'where.all[2].performed.window.between': low "
        "2026-10-31 is after high 2026-10-01: write [low, high]",
    ]


# --- names --------------------------------------------------------------------------------------


def test_bad_slug(tmp_path):
    directory = write_registry(
        tmp_path, {"Paid-Search.yml": segment_yaml("Paid-Search", "attribute: channel\nequals: x")}
    )
    assert problems(directory) == [
        "segments/Paid-Search.yml:1: segment 'Paid-Search', field 'name': invalid name "
        "'Paid-Search': use lower-case letters, digits and _, starting with a letter "
        "(at most 63 characters)"
    ]


def test_name_must_equal_the_file_name(tmp_path):
    directory = write_registry(
        tmp_path, {"paid_search.yml": segment_yaml("paid_serach", "attribute: channel\nequals: x")}
    )
    assert problems(directory) == [
        "segments/paid_search.yml:1: segment 'paid_serach', field 'name': name 'paid_serach' "
        "does not match the file name 'paid_search.yml' (the file of segment 'paid_serach' is "
        "paid_serach.yml)"
    ]


def test_duplicate_names(tmp_path):
    where = "attribute: channel\nequals: Direct"
    directory = write_registry(
        tmp_path,
        {
            "direct.yml": segment_yaml("direct", where),
            "direct_copy.yml": segment_yaml("direct", where),
        },
    )
    assert problems(directory) == [
        "segments/direct_copy.yml:1: segment 'direct', field 'name': duplicate segment name "
        "'direct': also defined in segments/direct.yml",
        "segments/direct_copy.yml:1: segment 'direct', field 'name': name 'direct' does not "
        "match the file name 'direct_copy.yml' (the file of segment 'direct' is direct.yml)",
    ]


# --- columns and operators ----------------------------------------------------------------------


def test_unknown_session_column(tmp_path):
    where = """
    all:
      - attribute: channel
        equals: Direct
      - attribute: chanel
        equals: Paid Search
    """
    directory = write_segments(tmp_path, ("x", where))
    assert problems(directory) == [
        "segments/x.yml:13: segment 'x', field 'where.all[1].attribute': unknown column "
        "'chanel' for session grain (did you mean 'channel'?)"
    ]


def test_user_columns_at_each_grain(tmp_path):
    directory = write_segments(
        tmp_path,
        ("s", "attribute: user.plan\nequals: pro"),
        ("u", "attribute: user.plan\nequals: pro", "user"),
        ("v", "attribute: plna\nequals: pro", "user"),
        ("w", "attribute: _sessionized_at\nis_set: true"),
    )
    assert problems(directory) == [
        "segments/u.yml:10: segment 'u', field 'where.attribute': unknown column 'user.plan' for "
        "user grain (did you mean 'plan'?)",
        "segments/v.yml:10: segment 'v', field 'where.attribute': unknown column 'plna' for user "
        "grain (did you mean 'plan'?)",
        # bookkeeping columns are not member attributes
        "segments/w.yml:10: segment 'w', field 'where.attribute': unknown column "
        "'_sessionized_at' for session grain (did you mean 'session_start'?)",
    ]


def test_operator_must_suit_the_column_type(tmp_path):
    where = """
    all:
      - attribute: is_first_visit
        gt: 0
      - attribute: page_count
        contains: "1"
      - attribute: channel
        gte: 3
      - attribute: user.latest_traits
        equals: x
    """
    directory = write_segments(tmp_path, ("a", where))
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.all[0].gt': operator 'gt' does not apply "
        "to boolean column 'is_first_visit' (use equals, not_equals, in, not_in, is_set or "
        "is_not_set)",
        "segments/a.yml:14: segment 'a', field 'where.all[1].contains': operator 'contains' does "
        "not apply to bigint column 'page_count' (use equals, not_equals, in, not_in, gt, gte, "
        "lt, lte, between, is_set or is_not_set)",
        "segments/a.yml:16: segment 'a', field 'where.all[2].gte': operator 'gte' does not apply "
        "to varchar column 'channel' (use equals, not_equals, in, not_in, contains, starts_with, "
        "ends_with, regex, is_set or is_not_set)",
        "segments/a.yml:18: segment 'a', field 'where.all[3].equals': operator 'equals' does not "
        "apply to json column 'user.latest_traits' (use is_set or is_not_set)",
    ]


def test_values_must_suit_the_column_type(tmp_path):
    where = """
    all:
      - attribute: page_count
        equals: five
      - attribute: utm_campaign
        in: [spring, 2024]
      - attribute: session_start
        gte: 100
      - attribute: page_count
        lt: {days_ago: 3}
      - attribute: page_count
        equals: 3
        case_sensitive: true
    """
    directory = write_segments(tmp_path, ("a", where))
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.all[0].equals': column 'page_count' is "
        "bigint: expected a number, got text 'five'",
        "segments/a.yml:14: segment 'a', field 'where.all[1].in': the values mix number and "
        "text: use values of one kind",
        "segments/a.yml:16: segment 'a', field 'where.all[2].gte': column 'session_start' is "
        "timestamp: expected a date or a timestamp or a relative time like {days_ago: 7}, got "
        "whole number 100",
        "segments/a.yml:18: segment 'a', field 'where.all[3].lt': column 'page_count' is bigint: "
        "expected a number, got a relative time",
        "segments/a.yml:21: segment 'a', field 'where.all[4].case_sensitive': case_sensitive "
        "applies only to text comparisons",
    ]


def test_relative_times_and_dates_on_timestamp_columns(tmp_path):
    where = """
    all:
      - attribute: signup_at
        lt: {hours_ago: 48}
      - attribute: first_seen
        between: [2026-10-01, 2026-10-31T23:59:59]
      - attribute: last_seen
        gte: {days_ago: 7}
    """
    directory = write_segments(tmp_path, ("a", where, "user"))
    registry = load(directory)
    first, between, last = registry["a"].where.conditions
    assert first.value.hours_ago == 48 and first.value.hours == 48
    assert last.value.hours == 7 * 24
    assert [str(value) for value in between.value] == ["2026-10-01", "2026-10-31 23:59:59"]


# --- event properties ---------------------------------------------------------------------------


def test_bad_event_property_path(tmp_path):
    where = """
    performed:
      event: order_completed
      where:
        - property: products.0.price
          gt: 10
        - property: order..total
          gt: 10
    """
    directory = write_segments(tmp_path, ("a", where))
    assert problems(directory) == [
        "segments/a.yml:13: segment 'a', field 'where.performed.where[0].property': invalid "
        "property path 'products.0.price': use a name or a dotted path like a.b.c (letters, "
        "digits and _, not starting with a digit)",
        "segments/a.yml:15: segment 'a', field 'where.performed.where[1].property': invalid "
        "property path 'order..total': use a name or a dotted path like a.b.c (letters, digits "
        "and _, not starting with a digit)",
    ]


# --- references ---------------------------------------------------------------------------------


def test_reference_to_a_missing_segment(tmp_path):
    directory = write_segments(
        tmp_path,
        ("paid_search", "attribute: channel\nequals: Paid Search"),
        ("combo", "all:\n  - in_segment: paid_serach"),
    )
    assert problems(directory) == [
        "segments/combo.yml:11: segment 'combo', field 'where.all[0].in_segment': unknown "
        "segment 'paid_serach' (did you mean 'paid_search'?)"
    ]


def test_in_segment_crosses_grains_and_sessions_needs_a_session_segment(tmp_path):
    directory = write_segments(
        tmp_path,
        ("buyers", "performed: {event: order_completed}", "user"),
        ("buyer_sessions", "in_segment: buyers"),  # sessions of users in a user segment
        ("mobile", "attribute: device_type\nequals: mobile"),
        ("mobile_users", "in_segment: mobile", "user"),  # users with a mobile session
        ("twice", "sessions:\n  in_segment: buyers\n  times: {at_least: 2}", "user"),
        ("nested", "sessions:\n  in_segment: mobile"),
        ("unknown", "sessions:\n  in_segment: mobil", "user"),
        ("columns", "sessions:\n  where:\n    - attribute: user.plan\n      equals: pro", "user"),
    )
    assert problems(directory) == [
        "segments/columns.yml:12: segment 'columns', field 'where.sessions.where[0].attribute': "
        "unknown column 'user.plan' for sessions",
        "segments/nested.yml:10: segment 'nested', field 'where.sessions': sessions applies at "
        "user or account grain (their sessions)",
        "segments/twice.yml:11: segment 'twice', field 'where.sessions.in_segment': segment "
        "'buyers' has user grain: expected a session segment",
        "segments/unknown.yml:11: segment 'unknown', field 'where.sessions.in_segment': unknown "
        "segment 'mobil' (did you mean 'mobile'?)",
    ]


def test_a_sessions_column_aggregate_is_numeric_and_at_user_grain(tmp_path):
    def aggregate(column: str) -> str:
        return f"aggregate:\n  function: sum\n  column: {column}\ngte: 1"

    directory = write_segments(
        tmp_path,
        ("rage", aggregate("rage_click_count"), "user"),
        ("text", aggregate("channel"), "user"),
        ("typo", aggregate("rage_clicks"), "user"),
        ("session", aggregate("rage_click_count")),
    )
    numbers = (
        "session_number, duration_seconds, event_count, page_count, rage_click_count, "
        "dead_click_count, js_error_count, quick_back_count, excessive_scroll_count, "
        "order_count, revenue"
    )
    assert problems(directory) == [
        "segments/session.yml:12: segment 'session', field 'where.aggregate.column': a sessions "
        "column is aggregated over a user's or an account's sessions: not at session grain "
        "(there, filter the column with attribute)",
        f"segments/text.yml:12: segment 'text', field 'where.aggregate.column': varchar, not a "
        f"number: sessions column 'channel' (numeric columns: {numbers})",
        f"segments/typo.yml:12: segment 'typo', field 'where.aggregate.column': unknown sessions "
        f"column 'rage_clicks' (numeric columns: {numbers}) (did you mean 'rage_click_count'?)",
    ]


def test_reference_cycles_are_named(tmp_path):
    directory = write_segments(
        tmp_path,
        ("a", "all:\n  - attribute: channel\n    equals: x\n  - in_segment: b"),
        ("b", "not:\n  in_segment: a"),
        ("c", "in_segment: c"),
        ("d", "in_segment: a"),
    )
    assert problems(directory) == [
        "segments/a.yml:13: segment 'a', field 'where.all[1].in_segment': segment reference "
        "cycle: a -> b -> a",
        "segments/b.yml:11: segment 'b', field 'where.not.in_segment': segment reference cycle: "
        "b -> a -> b",
        "segments/c.yml:10: segment 'c', field 'where.in_segment': segment reference cycle: c -> c",
    ]


def test_a_reference_to_an_invalid_segment_is_not_reported_missing(tmp_path):
    directory = write_segments(
        tmp_path,
        ("base", "attribute: channel\nequls: Direct"),
        ("top", "in_segment: base"),
    )
    assert problems(directory) == [
        "segments/base.yml:11: segment 'base', field 'where.equls': unknown operator 'equls' "
        "(did you mean 'equals'?)"
    ]


# --- lists --------------------------------------------------------------------------------------


def _write_list(root: Path, name: str, header: str) -> None:
    lists = root / "seeds" / "segment_lists"
    lists.mkdir(parents=True, exist_ok=True)
    (lists / f"{name}.csv").write_text(f"{header}\nu_1,a@example.com\n", encoding="utf-8")


def test_in_list(tmp_path):
    _write_list(tmp_path, "vip_customers", "user_id,email")
    directory = write_segments(
        tmp_path, ("vips", "in_list: {list: vip_customers, by: email}", "user")
    )
    condition = load(directory)["vips"].where
    assert (condition.list, condition.by) == ("vip_customers", "email")


def test_in_list_at_session_grain(tmp_path):
    _write_list(tmp_path, "vip_customers", "user_id,email")
    directory = write_segments(tmp_path, ("vips", "in_list: {list: vip_customers, by: email}"))
    assert problems(directory) == [
        "segments/vips.yml:10: segment 'vips', field 'where.in_list': in_list applies only at "
        "user grain (this segment has session grain)"
    ]


def test_in_list_of_a_missing_csv(tmp_path):
    where = "in_list:\n  list: vip_customers\n  by: email"
    directory = write_segments(tmp_path, ("vips", where, "user"))
    assert problems(directory) == [
        "segments/vips.yml:11: segment 'vips', field 'where.in_list.list': list 'vip_customers' "
        "not found: expected seeds/segment_lists/vip_customers.csv"
    ]


def test_in_list_without_the_by_column(tmp_path):
    _write_list(tmp_path, "vip_customers", "user_id,name")
    where = "in_list:\n  list: vip_customers\n  by: email"
    directory = write_segments(tmp_path, ("vips", where, "user"))
    assert problems(directory) == [
        "segments/vips.yml:12: segment 'vips', field 'where.in_list.by': list 'vip_customers' "
        "has no column 'email' (columns: user_id, name)"
    ]


def test_in_list_of_an_unreadable_csv(tmp_path):
    lists = tmp_path / "seeds" / "segment_lists"
    lists.mkdir(parents=True)
    (lists / "latin1.csv").write_bytes(b"email\ncaf\xe9@example.com\n")
    (lists / "nul.csv").write_bytes(b"email\na@example.com\nb\x00@example.com\n")
    (lists / "wide.csv").write_bytes(b"email," + b"x" * 200_000 + b"\n")
    directory = write_segments(
        tmp_path,
        *(
            (name, f"in_list: {{list: {name}, by: email}}", "user")
            for name in ("latin1", "nul", "wide")
        ),
    )
    assert problems(directory) == [
        "segments/latin1.yml:10: segment 'latin1', field 'where.in_list.list': list 'latin1' "
        "(seeds/segment_lists/latin1.csv): line 2 is not UTF-8 text (invalid continuation byte)",
        "segments/nul.yml:10: segment 'nul', field 'where.in_list.list': list 'nul' "
        "(seeds/segment_lists/nul.csv): line 3 holds U+0000 (NUL), which warehouses cannot store "
        "in text",
        "segments/wide.yml:10: segment 'wide', field 'where.in_list.list': list 'wide' "
        "(seeds/segment_lists/wide.csv): line 1 is not a CSV header (field larger than field "
        "limit (131072))",
    ]


def test_lists_folder_can_be_given(tmp_path):
    _write_list(tmp_path / "elsewhere", "vip_customers", "email")
    directory = write_segments(
        tmp_path, ("vips", "in_list: {list: vip_customers, by: email}", "user")
    )
    lists_dir = tmp_path / "elsewhere" / "seeds" / "segment_lists"
    assert load(directory, lists_dir=lists_dir)["vips"].where.by == "email"


# --- grain rules --------------------------------------------------------------------------------


def test_same_session_at_user_grain(tmp_path):
    where = """
    all:
      - performed: {event: product_added, same_session: true}
      - aggregate: {function: count, event: page, same_session: false}
        gte: 3
    """
    directory = write_segments(tmp_path, ("a", where, "user"))
    assert problems(directory) == [
        "segments/a.yml:11: segment 'a', field 'where.all[0].performed.same_session': "
        "same_session applies only at session grain",
        "segments/a.yml:12: segment 'a', field 'where.all[1].aggregate.same_session': "
        "same_session applies only at session grain",
    ]


def test_a_session_grain_sequence_stays_in_the_member_session(tmp_path):
    where = """
    sequence:
      steps: [{event: product_added}, {event: order_completed}]
      within: {hours: 24}
    """
    directory = write_segments(tmp_path, ("a", where))
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.sequence.within': at session grain a "
        "sequence is within the member session: use within: same_session"
    ]


def test_session_where_needs_the_same_session_and_session_columns(tmp_path):
    directory = write_segments(
        tmp_path,
        (
            "a",
            """
            sequence:
              steps: [{event: product_added}, {not: order_completed}]
              within: {hours: 24}
              session_where: [{attribute: country, equals: BR}]
            """,
            "user",
        ),
        (
            "b",
            """
            sequence:
              steps: [{event: product_added}, {not: order_completed}]
              within: same_session
              session_where: [{attribute: contry, equals: BR}]
            """,
            "user",
        ),
    )
    assert problems(directory) == [
        "segments/a.yml:13: segment 'a', field 'where.sequence.session_where': session_where "
        "needs within: same_session",
        "segments/b.yml:13: segment 'b', field 'where.sequence.session_where[0].attribute': "
        "unknown column 'contry' for sessions (did you mean 'country'?)",
    ]


# --- all problems at once -----------------------------------------------------------------------


def test_all_problems_of_all_files_are_reported_together(tmp_path):
    bad_where = """
    all:
      - attribute: chanel
        equals: Direct
      - performed: {event: product_added, times: {at_least: 0}}
      - in_segment: nowhere
    """
    text = segment_yaml("a", bad_where).replace("visibility: public", "visibility: publik")
    directory = write_registry(tmp_path, {"a.yml": text, "b.yml": "name: b\ntitle: [\n"})
    with pytest.raises(RegistryError) as raised:
        load_registry(directory)
    error = raised.value
    assert [str(problem) for problem in error.problems] == [
        "segments/a.yml:6: segment 'a', field 'visibility': invalid value 'publik': expected one "
        "of public, private (did you mean 'public'?)",
        "segments/a.yml:11: segment 'a', field 'where.all[0].attribute': unknown column 'chanel' "
        "for session grain (did you mean 'channel'?)",
        "segments/a.yml:13: segment 'a', field 'where.all[1].performed.times.at_least': must be "
        "at least 1, got 0",
        "segments/a.yml:14: segment 'a', field 'where.all[2].in_segment': unknown segment "
        "'nowhere'",
        "segments/b.yml:3: segment 'b': invalid YAML: expected the node content, but found "
        "'<stream end>' (column 1)",
    ]
    assert str(error) == "\n".join(str(problem) for problem in error.problems)
    assert error.problems[1] == Problem(
        file="segments/a.yml",
        line=11,
        segment="a",
        field_path="where.all[0].attribute",
        message="unknown column 'chanel' for session grain (did you mean 'channel'?)",
    )


def test_missing_segments_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no segments directory"):
        load_registry(tmp_path / "nowhere")


# --- values are data ----------------------------------------------------------------------------


def test_sql_looking_values_are_plain_data(tmp_path):
    where = r"""
    all:
      - attribute: utm_campaign
        equals: "it's; drop table marts.users; --"
      - attribute: landing_page
        contains: ['/* comment */', "--", "a'b\"c", "{{ var('x') }}"]
      - attribute: referrer
        regex: "^https?://[^/]*example\\.com/"
      - performed:
          event: "Order Completed; --"
          where:
            - property: coupon
              equals: "'; select 1 /*"
    """
    directory = write_segments(tmp_path, ("a", textwrap.dedent(where)))
    segment = load(directory)["a"]
    assert isinstance(segment.where, AllOf)
    campaign, landing, referrer, performed = segment.where.conditions
    assert isinstance(campaign, AttributeFilter)
    assert campaign.value == ("it's; drop table marts.users; --",)
    assert landing.value == ("/* comment */", "--", "a'b\"c", "{{ var('x') }}")
    assert referrer.value == r"^https?://[^/]*example\.com/"
    assert performed.event == "order_completed"
    assert performed.where[0].value == ("'; select 1 /*",)


# --- traits and typed event values --------------------------------------------------------------


def test_a_declared_type_decides_operators_and_values(tmp_path):
    where = """
    all:
      - trait: seats
        type: number
        equals: many
      - trait: beta
        type: boolean
        gt: 1
      - trait: renewal
        type: timestamp
        gte: soon
      - trait: role
        type: number
        is_set: true
        case_sensitive: true
      - performed:
          event: order_completed
          where:
            - trait: plan
              type: boolean
              equals: pro
            - property: total
              type: text
              gt: 10
      - sequence:
          steps:
            - event: a
            - event: b
              where:
                - property: coupon
                  type: number
                  contains: x
    """
    directory = write_segments(tmp_path, ("a", where, "user"))
    assert problems(directory) == [
        "segments/a.yml:13: segment 'a', field 'where.all[0].equals': trait 'seats' is number: "
        "expected a number, got text 'many'",
        "segments/a.yml:16: segment 'a', field 'where.all[1].gt': operator 'gt' does not apply to "
        "boolean trait 'beta' (use equals, not_equals, in, not_in, is_set or is_not_set)",
        # A text where gte wants a bound: the file alone shows it, whatever the type.
        "segments/a.yml:19: segment 'a', field 'where.all[2].gte': expected a number, a date, a "
        "timestamp or a relative time like {days_ago: 7}, got text 'soon'",
        "segments/a.yml:23: segment 'a', field 'where.all[3].case_sensitive': case_sensitive "
        "applies only to text comparisons",
        "segments/a.yml:29: segment 'a', field 'where.all[4].performed.where[0].equals': trait "
        "'plan' is boolean: expected true or false, got text 'pro'",
        "segments/a.yml:32: segment 'a', field 'where.all[4].performed.where[1].gt': operator "
        "'gt' does not apply to text property 'total' (use equals, not_equals, in, not_in, "
        "contains, starts_with, ends_with, regex, is_set or is_not_set)",
        "segments/a.yml:40: segment 'a', field 'where.all[5].sequence.steps[1].where[0].contains':"
        " operator 'contains' does not apply to number property 'coupon' (use equals, "
        "not_equals, in, not_in, gt, gte, lt, lte, between, is_set or is_not_set)",
    ]


def test_a_trait_path_is_checked_like_a_property_path(tmp_path):
    directory = write_segments(tmp_path, ("a", "trait: address..city\nequals: x", "user"))
    assert problems(directory) == [
        "segments/a.yml:10: segment 'a', field 'where.trait': invalid trait path "
        "'address..city': use a name or a dotted path like a.b.c (letters, digits and _, not "
        "starting with a digit)",
    ]


def test_first_time_takes_no_anchored_window(tmp_path):
    where = """
    first_time:
      event: core_feature_used
      window:
        relative_to: signed_up
        after: {days: 1}
    """
    directory = write_segments(tmp_path, ("a", where, "user"))
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'where.first_time.window': first_time needs a "
        "last_days, last_hours or between window (a first occurrence has no anchor of its own)",
    ]


def test_a_time_zone_is_an_iana_name(tmp_path):
    directory = write_segments(tmp_path, ("a", "attribute: channel\nequals: x"))
    text = (directory / "a.yml").read_text(encoding="utf-8")
    (directory / "a.yml").write_text(text + "time_zone: Europe/Lisbn\n", encoding="utf-8")
    assert problems(directory) == [
        "segments/a.yml:12: segment 'a', field 'time_zone': unknown time zone 'Europe/Lisbn': use "
        "an IANA name like Europe/Lisbon or UTC (did you mean 'Europe/Lisbon'?)",
    ]


def test_dates_page_fields_and_first_steps_that_cannot_mean_what_they_say(tmp_path):
    directory = write_segments(
        tmp_path,
        ("day", "attribute: signup_at\nequals: 2026-11-27", "user"),
        (
            "page",
            "performed:\n  event: page\n  where:\n    - {property: path, type: number, gt: 5}",
        ),
        (
            "first",
            "sequence:\n  steps:\n    - {event: a, within: {hours: 1}}\n    - event: b",
        ),
    )
    assert problems(directory) == [
        "segments/day.yml:11: segment 'day', field 'where.equals': column 'signup_at' is a "
        "timestamp and 2026-11-27 a whole day: use between: [2026-11-27, 2026-11-27] (equals "
        "compares instants)",
        "segments/first.yml:11: segment 'first', field 'where.sequence.steps': the first step has "
        "no previous step to be within: remove its within (the window says when the sequence "
        "starts)",
        "segments/page.yml:13: segment 'page', field 'where.performed.where[0].gt': operator 'gt' "
        "does not apply to text field 'path' (use equals, not_equals, in, not_in, contains, "
        "starts_with, ends_with, regex, is_set or is_not_set)",
        "segments/page.yml:13: segment 'page', field 'where.performed.where[0].type': page field "
        "'path' is text: remove type number",
    ]


def test_account_grain_conditions(tmp_path):
    directory = write_segments(
        tmp_path,
        ("buyers", "performed: {event: order_completed}", "user"),
        ("active", "members:\n  where:\n    in_segment: buyers\n  times: {at_least: 3}", "account"),
        ("enterprise_users", "account:\n  attribute: plan\n  equals: enterprise", "user"),
        # Conditions about another grain's members, at the wrong grain.
        ("members_of_user", "members:\n  where:\n    in_segment: buyers", "user"),
        ("account_of_account", "account:\n  in_segment: active", "account"),
        # Inside, each condition is checked at its own grain.
        ("inner_user", "members:\n  where:\n    attribute: industry\n    equals: x", "account"),
        ("inner_account", "account:\n  attribute: email\n  equals: x", "user"),
        # An event's trait filter is one user's; same_session and in_list are not an account's.
        (
            "event_trait",
            "performed:\n  event: x\n  where:\n    - {trait: plan, equals: pro}",
            "account",
        ),
        ("same_session", "performed:\n  event: x\n  same_session: true", "account"),
        ("listed", "in_list:\n  list: vips\n  by: user_id", "account"),
    )
    assert problems(directory) == [
        "segments/account_of_account.yml:10: segment 'account_of_account', field "
        "'where.account': account applies at user or session grain (a member's account)",
        "segments/event_trait.yml:13: segment 'event_trait', field "
        "'where.performed.where[0].trait': an event's trait filter is about one user: at "
        "account grain, use members: {where: ...} for members with the trait",
        "segments/inner_account.yml:11: segment 'inner_account', field "
        "'where.account.attribute': unknown column 'email' for account grain",
        "segments/inner_user.yml:12: segment 'inner_user', field "
        "'where.members.where.attribute': unknown column 'industry' for user grain",
        "segments/listed.yml:10: segment 'listed', field 'where.in_list': in_list applies only "
        "at user grain (this segment has account grain)",
        "segments/members_of_user.yml:10: segment 'members_of_user', field 'where.members': "
        "members applies at account grain (this segment has user grain)",
        "segments/same_session.yml:12: segment 'same_session', field "
        "'where.performed.same_session': same_session applies only at session grain",
    ]
    registry = load(
        write_segments(
            tmp_path / "valid",
            ("buyers", "performed: {event: order_completed}", "user"),
            ("active", "members:\n  where:\n    in_segment: buyers", "account"),
        )
    )
    # A segment used inside members: comes first.
    assert registry.names == ("buyers", "active")
