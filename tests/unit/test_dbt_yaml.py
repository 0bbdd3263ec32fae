"""The dbt project's YAML files hold each key once: dbt keeps only the last of two keys (a
warning, not an error), so a second `data_tests:` silently drops the first one's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
FILES = sorted(
    [
        PROJECT / "dbt_project.yml",
        *(PROJECT / "models").rglob("*.yml"),
        *(PROJECT / "tests" / "dbt").rglob("*.yml"),
    ]
)


class _UniqueKeys(yaml.SafeLoader):
    """A loader that refuses a mapping with a key twice, naming the line."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} twice", key_node.start_mark
                )
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(PROJECT)))
def test_no_key_twice(path):
    yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeys)


def test_the_project_files_are_found():
    assert len(FILES) > 10
