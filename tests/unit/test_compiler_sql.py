"""How the compiler lays out SQL: a combination of terms knows it needs parentheses inside
another, from how it was built rather than from its text."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from segmart.compiler.filters import at_midnight
from segmart.compiler.sqltext import combine, jinja


def test_a_combination_inside_another_is_parenthesized():
    inner = combine("and", ["a = 1", "b = 2"])
    assert combine("or", [inner, "c = 3"]) == "(\n    a = 1\n    and b = 2\n)\nor c = 3"
    assert combine("and", ["c = 3", combine("or", [inner, "d = 4"])]) == (
        "c = 3\nand (\n    (\n        a = 1\n        and b = 2\n    )\n    or d = 4\n)"
    )


def test_one_term_is_not_a_combination():
    assert combine("or", [combine("and", ["a = 1"]), "c = 3"]) == "a = 1\nor c = 3"


def test_a_term_whose_lines_start_with_and_is_not_taken_for_a_combination():
    # A subquery laid out flush left: its `and` is inside its own parentheses.
    term = "x in (\nselect y from t\nwhere p\nand q\n)"
    assert combine("or", [term, "z"]) == f"{term}\nor z"


def test_jinja_expressions_are_written_once():
    assert jinja("ref('users')") == "{{ ref('users') }}"


def test_a_date_starts_at_local_midnight_as_naive_utc():
    # Lisbon is UTC+1 in summer and UTC+0 in winter: the day's start follows the clock change.
    lisbon = ZoneInfo("Europe/Lisbon")
    assert at_midnight(date(2024, 7, 1), lisbon) == datetime(2024, 6, 30, 23, 0)
    assert at_midnight(date(2024, 1, 1), lisbon) == datetime(2024, 1, 1, 0, 0)
    assert at_midnight(date(2024, 7, 1), ZoneInfo("America/Sao_Paulo")) == datetime(2024, 7, 1, 3)
    # A timestamp is an instant already: as it is.
    assert at_midnight(datetime(2024, 7, 1, 5), lisbon) == datetime(2024, 7, 1, 5)
