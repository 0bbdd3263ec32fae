"""YAML loading that remembers the line of every key and list item.

Validation errors must name the line to fix, so the file is composed into YAML nodes (which carry
positions) and turned into plain Python data here, recording `path -> line` on the way. Scalars
are built by PyYAML's SafeLoader itself, so values have exactly the types `yaml.safe_load` gives
(dates, ints, booleans). Duplicate keys, which PyYAML silently resolves to the last one, are
reported.

A hostile file fails fast with a message, never a traceback or a hang (docs/registry.md,
"Validation"): characters YAML cannot hold raw, or reads as line breaks, are refused with their
line and column; nesting and alias expansion are bounded before anything is built; a scalar
PyYAML cannot build (`2026-02-30`), an integer in another base (`010`) and text no warehouse
stores (NUL) are problems of that value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
_MERGE_TAG = "tag:yaml.org,2002:merge"
# Collections nested deeper than this are refused before PyYAML's recursive composer (and
# everything after it) runs out of stack; a segment needs far fewer levels.
MAX_DEPTH = 64
# Values that aliases (*name) may add beyond those written in the file: enough to reuse a few
# conditions, small enough that a "billion laughs" file is refused at once.
ALIAS_BUDGET = 1000
# Characters a file may hold raw: PyYAML's printable set, without NEL, U+2028 and U+2029, which
# YAML 1.1 reads as line breaks (a quoted "a<NEL>b" silently becomes "a b"). Escaped ("\N",
# "\L", "\P", "\v") they are ordinary characters of a value.
_RAW_REFUSED = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# What YAML 1.1 reads as a line break beyond \n and \r: dump_yaml never writes these raw.
_YAML_11_BREAKS = re.compile("[\x85\u2028\u2029]")
# Text no warehouse stores reliably: NUL (PostgreSQL refuses it in text) and halves of UTF-16
# surrogate pairs (not characters; the generated UTF-8 files cannot hold them).
_TEXT_REFUSED = re.compile("[\x00\ud800-\udfff]")
# Integers YAML 1.1 reads in another base (010 is 8, 0x1f, 0b11, 1:30 is 90; PyYAML's int
# resolver less its decimal form): refused, so a number means what it looks like.
_OTHER_BASE = re.compile(r"[-+]?(0b[0-1_]+|0[0-7_]+|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)")
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_KINDS = {
    "tag:yaml.org,2002:timestamp": "date or timestamp",
    "tag:yaml.org,2002:bool": "boolean",
    _INT_TAG: "whole number",
    _FLOAT_TAG: "number",
}


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
    # Paths whose value could not be read (each has an issue): the value there is None, and
    # what a schema would say about that None is noise beside the issue.
    unreadable: set[Path] = field(default_factory=set)

    def refuse(self, line: int, path: Path, message: str) -> None:
        """Report the value at `path` as unreadable."""
        self.issues.append(YamlIssue(line, path, message))
        self.unreadable.add(path)

    def line_of(self, path: Path) -> int:
        """The line of the deepest part of `path` that is in the file (a missing key: the line
        of the mapping that lacks it)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def load_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; raise YamlSyntaxError for malformed YAML, a refused character,
    nesting deeper than MAX_DEPTH or aliases expanding beyond ALIAS_BUDGET. Values that cannot
    be read are issues of the document (their data None), never exceptions."""
    _check_characters(text)
    _check_shape(text)
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


def dump_yaml(data: Any, **options: Any) -> str:
    """`data` (plain dicts, lists, scalars) as YAML text that load_yaml and YAML 1.2 tools both
    read back as `data`. Unicode is written as itself, except in a document holding NEL, U+2028
    or U+2029: PyYAML writes those raw (and reads a raw NEL back as a space), so there every
    non-ASCII character is escaped. `options` go to yaml.safe_dump."""
    text = yaml.safe_dump(data, allow_unicode=True, **options)
    if _YAML_11_BREAKS.search(text):
        text = yaml.safe_dump(data, allow_unicode=False, **options)
    return text


def _check_characters(text: str) -> None:
    refused = _RAW_REFUSED.search(text)
    if refused is None:
        return
    line = text.count("\n", 0, refused.start()) + 1
    column = refused.start() - (text.rfind("\n", 0, refused.start()) + 1) + 1
    code = f"U+{ord(refused.group()):04X}"
    if refused.group() in "\x85\u2028\u2029":
        why = "YAML reads it as a line break: write it escaped in double quotes (\\N, \\L, \\P)"
    else:
        why = "a YAML file cannot hold it raw: write it escaped in double quotes, e.g. \\t"
    raise YamlSyntaxError(line, f"character {code} at column {column}: {why}")


def _check_shape(text: str) -> None:
    """Refuse deep nesting and alias bombs from the event stream, which PyYAML produces without
    recursion and without expanding aliases: the cost of this check is the size of the file."""
    loader = yaml.SafeLoader(text)
    # Per open collection: [anchor, values in it once aliases are expanded]
    open_collections: list[list[Any]] = [[None, 0]]
    expanded: dict[str, int] = {}
    written = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line + 1
            if isinstance(event, yaml.CollectionStartEvent):
                if len(open_collections) > MAX_DEPTH:
                    raise YamlSyntaxError(line, f"nested deeper than {MAX_DEPTH} levels")
                written += 1
                open_collections.append([event.anchor, 1])
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, size = open_collections.pop()
            elif isinstance(event, yaml.ScalarEvent):
                written += 1
                anchor, size = event.anchor, 1
            elif isinstance(event, yaml.AliasEvent):
                written += 1
                # An alias of a collection still open (recursive) is reported while building.
                anchor, size = None, expanded.get(event.anchor, 1)
            else:
                continue
            if anchor is not None:
                expanded[anchor] = size
            open_collections[-1][1] += size
            if open_collections[-1][1] > written + ALIAS_BUDGET:
                raise YamlSyntaxError(
                    line,
                    f"YAML aliases expand to more than {ALIAS_BUDGET} values beyond those written: "
                    "write the values out",
                )
    except yaml.YAMLError:
        return  # malformed YAML: reported, with its line, by the full parse
    finally:
        loader.dispose()


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, path: Path, document: YamlDocument, active: set[int]
) -> Any:
    if id(node) in active:
        document.refuse(node.start_mark.line + 1, path, "recursive YAML alias")
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
            refused = _refused_text(key)
            if refused is not None:  # reported at the mapping: the key itself is unprintable
                document.issues.append(YamlIssue(line, path, f"a key: {refused}"))
                continue
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
    return _scalar(loader, node, path, document)


def _scalar(loader: yaml.SafeLoader, node: yaml.Node, path: Path, document: YamlDocument) -> Any:
    line = node.start_mark.line + 1
    if node.tag == _INT_TAG and _OTHER_BASE.fullmatch(node.value):
        # An unquoted value PyYAML's resolver read as an integer, in a base other than 10.
        document.refuse(
            line,
            path,
            f"'{node.value}' is a YAML 1.1 number in another base: write the number in plain "
            "digits, or quote it if it is text",
        )
        return None
    if node.tag == _FLOAT_TAG and ":" in node.value:
        document.refuse(
            line,
            path,
            f"'{node.value}' is a YAML 1.1 base-60 number: write the number in plain digits, "
            "or quote it if it is text",
        )
        return None
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.MarkedYAMLError:
        raise  # an unknown tag: reported with the syntax errors
    except Exception as error:
        # PyYAML's constructors fail in many ways. ValueError and OverflowError say what is
        # wrong (2026-02-30: "day is out of range for month"); others (`!!bool maybe`: KeyError,
        # `!!timestamp x`: AttributeError) only that the text is not such a value.
        kind = _KINDS.get(node.tag, "value")
        reason = str(error) if isinstance(error, ValueError | OverflowError) else "unreadable"
        shown = node.value
        if node.tag == _INT_TAG and len(node.value) > 40:  # Python's limit on digits
            reason, shown = f"{len(node.value)} digits is too many", node.value[:40] + "..."
        document.refuse(line, path, f"invalid {kind} '{shown}': {reason} (quote it if it is text)")
        return None
    if isinstance(value, str):
        refused = _refused_text(value)
        if refused is not None:
            document.refuse(line, path, refused)
            return None
    return value


def _refused_text(text: str) -> str | None:
    """Why `text` cannot be registry text, or None."""
    refused = _TEXT_REFUSED.search(text)
    if refused is None:
        return None
    code = f"U+{ord(refused.group()):04X}"
    if refused.group() == "\x00":
        return f"text holds {code} (NUL), which warehouses cannot store in text: remove it"
    return (
        f"text holds {code}, half of a UTF-16 surrogate pair, not a character: "
        "write the character itself"
    )
