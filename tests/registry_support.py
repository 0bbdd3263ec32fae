"""Helpers shared by the tests/unit/test_registry_*.py modules (no tests of its own).

Registry tests write small registries into tmp_path and assert the exact problems, so every
segment file here has a fixed header: the `where:` key is always on line 9 and its first nested
line is line 10, which keeps the expected line numbers readable.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from segmart.registry import Registry, RegistryError, load_registry

WHERE_LINE = 9  # line of `where:` in files written by segment_yaml()


def segment_yaml(name: str, where: str, *, grain: str = "session", **fields: str) -> str:
    """A segment file: eight header lines, then `where:` and the (indented) condition."""
    header = {
        "name": name,
        "title": f"{name} title",
        "description": "A test segment.",
        "owner": "tests@example.com",
        "use_case": "Tests.",
        "visibility": "public",
        "grain": grain,
        "refresh": "daily",
    }
    header.update(fields)
    lines = [f"{key}: {value}" for key, value in header.items()]
    body = textwrap.indent(textwrap.dedent(where).strip("\n"), "  ")
    return "\n".join([*lines, "where:", body]) + "\n"


def write_registry(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (file name -> text) into root/segments; return that folder."""
    directory = root / "segments"
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def write_segments(root: Path, *segments: tuple[str, str] | tuple[str, str, str]) -> Path:
    """Write (name, where) or (name, where, grain) segments, each in <name>.yml."""
    files = {}
    for name, where, *grain in segments:
        files[f"{name}.yml"] = segment_yaml(name, where, grain=grain[0] if grain else "session")
    return write_registry(root, files)


def problems(directory: Path, **options) -> list[str]:
    """Every problem of the registry in `directory`, as printed; [] when it loads."""
    try:
        load_registry(directory, **options)
    except RegistryError as error:
        return [str(problem) for problem in error.problems]
    return []


def load(directory: Path, **options) -> Registry:
    """The registry in `directory` (failing the test with its problems if it has any)."""
    return load_registry(directory, **options)
