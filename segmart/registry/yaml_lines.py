"""YAML loading that remembers the line of every key and list item.

Validation errors must name the line to fix, so the file is composed into YAML nodes (which carry
positions) and turned into plain Python data here, recording `path -> line` on the way. Scalars
are built by PyYAML's SafeLoader itself, so values have exactly the types `yaml.safe_load` gives
(dates, ints, booleans). Duplicate keys, which PyYAML silently resolves to the last one, are
reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class YamlIssue:
    """A problem found while reading the file (1-based line)."""

    line: int
    path: Path
    message: str


class YamlSyntaxError(Exception):
    """The file is not valid YAML; nothing of it can be used."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class YamlDocument:
    """Plain data (dicts, lists, scalars) and the line of each key or list item by path."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    issues: list[YamlIssue] = field(default_factory=list)

    def line_of(self, path: Path) -> int:
        """The line of the deepest part of `path` that is in the file (a missing key: the line
        of the mapping that lacks it)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def load_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; raise YamlSyntaxError for malformed YAML."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        document = YamlDocument(data=None)
        if node is not None:
            document.lines[()] = node.start_mark.line + 1
            document.data = _build(loader, node, (), document, set())
        return document
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        column = f" (column {mark.column + 1})" if mark is not None else ""
        problem = error.problem or error.context or "malformed YAML"
        raise YamlSyntaxError(line, f"invalid YAML: {problem}{column}") from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(1, f"invalid YAML: {error}") from None
    finally:
        loader.dispose()


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, path: Path, document: YamlDocument, active: set[int]
) -> Any:
    if id(node) in active:
        document.issues.append(YamlIssue(node.start_mark.line + 1, path, "recursive YAML alias"))
        return None
    if isinstance(node, yaml.MappingNode):
        active.add(id(node))
        explicit_count = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE_TAG)
        loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys, placing them first
        merged_count = len(node.value) - explicit_count
        result: dict[str, Any] = {}
        explicit_lines: dict[str, int] = {}
        for index, (key_node, value_node) in enumerate(node.value):
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                document.issues.append(YamlIssue(line, path, "a key must be a plain word"))
                continue
            # Keys are names: `on:` or `no:` stay words, not YAML 1.1 booleans.
            key = str(key_node.value)
            if index >= merged_count:  # merged keys may be overridden; written ones not twice
                if key in explicit_lines:
                    document.issues.append(
                        YamlIssue(
                            line,
                            (*path, key),
                            f"duplicate key '{key}' (first at line {explicit_lines[key]})",
                        )
                    )
                explicit_lines.setdefault(key, line)
            document.lines[(*path, key)] = line
            result[key] = _build(loader, value_node, (*path, key), document, active)
        active.discard(id(node))
        return result
    if isinstance(node, yaml.SequenceNode):
        active.add(id(node))
        items = []
        for index, item in enumerate(node.value):
            document.lines[(*path, index)] = item.start_mark.line + 1
            items.append(_build(loader, item, (*path, index), document, active))
        active.discard(id(node))
        return items
    return loader.construct_object(node, deep=True)
