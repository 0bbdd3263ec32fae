"""How the compiler lays out SQL: a combination of terms knows it needs parentheses inside
another, from how it was built rather than from its text."""

from __future__ import annotations

import yaml

from segmart.compiler.models import PRIVATE_GRANTS, generated_files
from segmart.compiler.sqltext import combine, jinja
from segmart.registry import load_registry


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


def test_only_private_segments_take_the_no_reader_grants():
    """Every segment table is granted to the BI role (dbt_project.yml) but a private one."""
    registry = load_registry()
    (properties,) = [f for f in generated_files(registry) if f.path.name == "_segments.yml"]
    configs = {m["name"]: m["config"] for m in yaml.safe_load(properties.text)["models"]}
    private = {f"seg_{s.name}" for s in registry if s.visibility == "private"}
    assert private and len(private) < len(registry)
    granted_none = {name for name, config in configs.items() if "grants" in config}
    assert granted_none == private
    assert {configs[name]["grants"] for name in private} == {PRIVATE_GRANTS}
