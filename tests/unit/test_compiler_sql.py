"""How the compiler lays out SQL: a combination of terms knows it needs parentheses inside
another, from how it was built rather than from its text."""

from __future__ import annotations

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
