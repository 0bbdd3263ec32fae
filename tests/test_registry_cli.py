"""`segmart validate`, `segmart list` and `segmart schema`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_registry_support import segment_yaml, write_registry, write_segments

from segmart.cli import main

# The fast suite (scripts/test_fast.sh): no dbt run, engine, server or browser.
pytestmark = pytest.mark.unit


def test_validate_ok(tmp_path, capsys):
    directory = write_segments(
        tmp_path,
        ("direct", "attribute: channel\nequals: Direct"),
        ("buyers", "performed: {event: order_completed}", "user"),
    )
    assert main(["validate", "--segments", str(directory)]) == 0
    assert capsys.readouterr().out == "2 segments OK\n"


def test_validate_prints_every_problem(tmp_path, capsys):
    directory = write_segments(
        tmp_path,
        ("a", "attribute: chanel\nequals: Direct"),
        ("b", "in_segment: nowhere"),
    )
    assert main(["validate", "--segments", str(directory)]) == 1
    captured = capsys.readouterr()
    assert captured.out == (
        "segments/a.yml:10: segment 'a', field 'where.attribute': unknown column 'chanel' for "
        "session grain (did you mean 'channel'?)\n"
        "segments/b.yml:10: segment 'b', field 'where.in_segment': unknown segment 'nowhere'\n"
    )
    assert captured.err == "2 problems\n"


def _bomb() -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


DIRECT = "attribute: channel\nequals: Direct"
# Hostile segment files (a.yml) and the one problem `segmart validate` prints for each.
HOSTILE_FILES = {
    "escaped_nul": (
        segment_yaml("a", DIRECT, title=r'"Sale\0"').encode(),
        "segments/a.yml:2: segment 'a', field 'title': text holds U+0000 (NUL), which "
        "warehouses cannot store in text: remove it",
    ),
    "raw_nul": (
        segment_yaml("a", DIRECT, title="Sale\0").encode(),
        "segments/a.yml:2: segment 'a': character U+0000 at column 12: a YAML file cannot hold "
        "it raw: write it escaped in double quotes, e.g. \\t",
    ),
    "alias_bomb": (
        _bomb().encode(),
        "segments/a.yml:4: segment 'a': YAML aliases expand to more than 1000 values beyond "
        "those written: write the values out",
    ),
    "invalid_date": (
        segment_yaml("a", "attribute: session_start\ngt: 2026-02-30").encode(),
        "segments/a.yml:11: segment 'a', field 'where.gt': invalid date or timestamp "
        "'2026-02-30': day is out of range for month (quote it if it is text)",
    ),
    "not_utf8": (
        segment_yaml("a", DIRECT).encode().replace(b"a title", b"caf\xe9"),
        "segments/a.yml:1: segment 'a': not UTF-8 text (invalid continuation byte)",
    ),
    "top_level_list": (
        b"- name: a\n",
        "segments/a.yml:1: segment 'a': expected a mapping of segment fields, got a list",
    ),
    "empty": (
        b"",
        "segments/a.yml:1: segment 'a': expected a mapping of segment fields, got an empty file",
    ),
    "huge_integer": (
        segment_yaml("a", DIRECT, min_members="9" * 5000).encode(),
        "segments/a.yml:9: segment 'a', field 'min_members': invalid whole number "
        f"'{'9' * 40}...': 5000 digits is too many (quote it if it is text)",
    ),
    "tab_indented": (
        segment_yaml("a", DIRECT).replace("  ", "\t").encode(),
        "segments/a.yml:10: segment 'a': invalid YAML: found character '\\t' that cannot start "
        "any token (column 1)",
    ),
    "duplicate_key": (
        (segment_yaml("a", DIRECT) + "title: again\n").encode(),
        "segments/a.yml:12: segment 'a', field 'title': duplicate key 'title' (first at line 2)",
    ),
    "deep_nesting": (
        segment_yaml("a", "[" * 5000 + "]" * 5000).encode(),
        "segments/a.yml:10: segment 'a': nested deeper than 64 levels",
    ),
}


@pytest.mark.parametrize("case", HOSTILE_FILES)
def test_validate_reports_a_hostile_file_without_a_traceback(tmp_path, case):
    content, problem = HOSTILE_FILES[case]
    directory = write_registry(tmp_path, {})
    (directory / "a.yml").write_bytes(content)
    # The installed command, in its own process: a traceback or a hang cannot hide in capsys.
    command = Path(sys.executable).with_name("segmart")
    result = subprocess.run(
        [command, "validate", "--segments", directory],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (1, problem + "\n", "1 problem\n")


def test_validate_the_project_registry(capsys):
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == "25 segments OK\n"


def test_list(tmp_path, capsys):
    directory = write_segments(
        tmp_path,
        ("direct", "attribute: channel\nequals: Direct"),
        ("buyers", "performed: {event: order_completed}", "user"),
    )
    assert main(["list", "--segments", str(directory)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "name    grain    refresh  owner              visibility  tags  title",
        "buyers  user     daily    tests@example.com  public            buyers title",
        "direct  session  daily    tests@example.com  public            direct title",
    ]


def test_missing_segments_folder(tmp_path, capsys):
    assert main(["validate", "--segments", str(tmp_path / "nowhere")]) == 1
    assert "no segments directory" in capsys.readouterr().err


def test_schema_write_and_check(tmp_path, capsys):
    out = tmp_path / "schema.json"
    assert main(["schema", "--check", "--out", str(out)]) == 1
    assert main(["schema", "--out", str(out)]) == 0
    assert main(["schema", "--check", "--out", str(out)]) == 0
    assert main(["schema", "--check"]) == 0
    output = capsys.readouterr()
    assert f"wrote {out}" in output.out
    assert "is out of date" in output.err
