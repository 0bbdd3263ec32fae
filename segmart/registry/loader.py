"""Load `segments/*.yml` into a `Registry`, or report every problem at once.

A registry is all-or-nothing: one broken segment could widen another that uses it, so nothing is
built from a registry with problems. Every file is still read to the end, so one run of
`segmart validate` lists everything to fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_args

from pydantic import TypeAdapter, ValidationError

from segmart.registry.base import FROM_YAML, describe
from segmart.registry.catalog import Catalog, load_catalog
from segmart.registry.checks import (
    Context,
    Reference,
    check_condition,
    check_funnel,
    check_segment,
)
from segmart.registry.graph import cycle_through, dependency_order
from segmart.registry.models import Condition, Funnel, Segment
from segmart.registry.problems import (
    Problem,
    RegistryError,
    YamlPath,
    format_path,
    validation_issues,
)
from segmart.registry.values import SLUG_PATTERN, Grain
from segmart.registry.yaml_lines import YamlDocument, YamlSyntaxError, load_yaml
from segmart.settings import PROJECT_DIR

DEFAULT_SEGMENTS_DIR = PROJECT_DIR / "segments"
LISTS_SUBDIR = Path("seeds") / "segment_lists"
FUNNELS_SUBDIR = Path("funnels")
_CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)
GRAINS = get_args(Grain)


@dataclass(frozen=True)
class Registry:
    """Valid segments in dependency order: each after the segments it uses (in_segment); and
    the funnels reported for them, by name."""

    segments: Mapping[str, Segment]
    files: Mapping[str, Path]
    _dependencies: Mapping[str, tuple[str, ...]]
    funnels: Mapping[str, Funnel] = field(default_factory=lambda: MappingProxyType({}))
    funnel_files: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.segments.values())

    def __len__(self) -> int:
        return len(self.segments)

    def __contains__(self, name: object) -> bool:
        return name in self.segments

    def __getitem__(self, name: str) -> Segment:
        return self.segments[name]

    @property
    def names(self) -> tuple[str, ...]:
        """Segment names in dependency order."""
        return tuple(self.segments)

    def dependencies(self, name: str) -> tuple[str, ...]:
        """The segments `name` uses directly (in_segment), in order of appearance."""
        return self._dependencies[name]

    def dependents(self, name: str) -> tuple[str, ...]:
        """The segments that use `name` directly, in dependency order."""
        return tuple(other for other in self.segments if name in self._dependencies[other])

    def funnel_segments(self, funnel: Funnel) -> tuple[Segment, ...]:
        """The segments `funnel` is reported for, in dependency order."""
        return tuple(s for s in self if not funnel.segments or s.name in funnel.segments)


def load_registry(
    directory: Path = DEFAULT_SEGMENTS_DIR,
    *,
    catalog: Catalog | None = None,
    lists_dir: Path | None = None,
    funnels_dir: Path | None = None,
) -> Registry:
    """Read and check every segment file in `directory` and every funnel file in `funnels_dir`;
    raise RegistryError listing every problem. `catalog` defaults to the marts contract
    (models/marts/_marts.yml); `lists_dir` (in_list CSVs) to seeds/segment_lists and
    `funnels_dir` to funnels/ beside the segments directory (no such folder: no funnels)."""
    loaded = _Loader(directory, catalog or load_catalog(), lists_dir, funnels_dir)
    problems, registry = loaded.run()
    if problems:
        raise RegistryError(problems)
    assert registry is not None
    return registry


def check_registry(
    directory: Path = DEFAULT_SEGMENTS_DIR,
    *,
    catalog: Catalog | None = None,
    lists_dir: Path | None = None,
    funnels_dir: Path | None = None,
) -> list[Problem]:
    """Every problem of the registry (empty when it is valid), by file and line."""
    try:
        load_registry(directory, catalog=catalog, lists_dir=lists_dir, funnels_dir=funnels_dir)
    except RegistryError as error:
        return list(error.problems)
    return []


@dataclass(frozen=True)
class _Kind:
    """What a registry folder holds: segments or funnels."""

    noun: str
    model: type[Segment] | type[Funnel]


SEGMENTS = _Kind("segment", Segment)
FUNNELS = _Kind("funnel", Funnel)


@dataclass
class _File:
    """One segment or funnel file while it is being checked."""

    path: Path
    display: str
    kind: _Kind
    document: YamlDocument | None = None
    entry: Any = None  # the valid Segment or Funnel

    @property
    def declared_name(self) -> str | None:
        data = self.document.data if self.document else None
        name = data.get("name") if isinstance(data, dict) else None
        return name if isinstance(name, str) else None

    @property
    def label(self) -> str:
        """How problems name the segment: its declared name, else the file name."""
        return self.declared_name or self.path.stem

    def line(self, path: YamlPath) -> int:
        return self.document.line_of(path) if self.document else 1


class _Loader:
    def __init__(
        self, directory: Path, catalog: Catalog, lists_dir: Path | None, funnels_dir: Path | None
    ) -> None:
        if not directory.is_dir():
            raise FileNotFoundError(f"no segments directory at {directory}")
        self.directory = directory
        self.catalog = catalog
        self.lists_dir = lists_dir or directory.parent / LISTS_SUBDIR
        self.funnels_dir = funnels_dir or directory.parent / FUNNELS_SUBDIR
        self.problems: list[Problem] = []

    def run(self) -> tuple[list[Problem], Registry | None]:
        files = self.read_folder(self.directory, SEGMENTS)
        funnel_files = (
            self.read_folder(self.funnels_dir, FUNNELS) if self.funnels_dir.is_dir() else []
        )
        context = Context(
            self.catalog, self.declared_grains(files), self.lists_dir, self.lists_display()
        )
        references: dict[str, list[Reference]] = {}
        for file in files:
            if file.entry is not None:
                result = check_segment(file.entry, context)
                for path, message in result.issues:
                    self.add(file, path, message)
                references[file.entry.name] = result.references
            elif file.document is not None:
                self.check_valid_parts(file, context)
        self.check_cycles(files, references)
        for file in funnel_files:
            if file.entry is not None:
                for path, message in check_funnel(file.entry, context).issues:
                    self.add(file, path, message)
        if self.problems:
            return self.problems, None
        return [], self.registry(files, funnel_files)

    def read_folder(self, folder: Path, kind: _Kind) -> list[_File]:
        """Every file of `folder` read (a .yaml one reported), names checked."""
        files = [self.read(path, kind) for path in sorted(folder.glob("*.yml"))]
        for path in sorted(folder.glob("*.yaml")):
            self.problems.append(
                Problem(
                    self.display(path),
                    1,
                    path.stem,
                    None,
                    f"{kind.noun} files end in .yml: rename it to {path.stem}.yml",
                    kind.noun,
                )
            )
        self.check_names(files)
        return files

    def display(self, path: Path) -> str:
        return f"{path.parent.name}/{path.name}"

    def lists_display(self) -> str:
        try:
            return os.path.relpath(self.lists_dir, self.directory.parent)
        except ValueError:  # another drive (Windows)
            return str(self.lists_dir)

    def add(self, file: _File, path: YamlPath, message: str) -> None:
        self.problems.append(
            Problem(
                file.display,
                file.line(path),
                file.label,
                format_path(path) or None,
                message,
                file.kind.noun,
            )
        )

    def read(self, path: Path, kind: _Kind) -> _File:
        file = _File(path, self.display(path), kind)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            self.add(file, (), f"not UTF-8 text ({error.reason})")
            return file
        try:
            file.document = load_yaml(text)
        except YamlSyntaxError as error:
            self.problems.append(
                Problem(file.display, error.line, path.stem, None, error.message, kind.noun)
            )
            return file
        for issue in file.document.issues:  # at the issue's own line: a bad key has no path
            self.problems.append(
                Problem(
                    file.display,
                    issue.line,
                    file.label,
                    format_path(issue.path) or None,
                    issue.message,
                    kind.noun,
                )
            )
        data = file.document.data
        if not isinstance(data, dict):
            got = "an empty file" if data is None else describe(data)
            self.add(file, (), f"expected a mapping of {kind.noun} fields, got {got}")
            return file
        try:
            entry = kind.model.model_validate(data, context={FROM_YAML: True})
        except ValidationError as error:
            for field_path, message in validation_issues(error):
                if not _about_unreadable(field_path, file.document.unreadable):
                    self.add(file, field_path, message)
            return file
        if not file.document.issues:
            file.entry = entry
        return file

    def check_valid_parts(self, file: _File, context: Context) -> None:
        """In an invalid segment, still check the conditions that are valid on their own, so
        one run reports column and reference problems beside the shape problems."""
        data = file.document.data if file.document else None
        if not isinstance(data, dict) or data.get("grain") not in GRAINS:
            return
        grain = data["grain"]
        pending: list[tuple[Any, YamlPath]] = [(data.get("where"), ("where",))]
        while pending:
            raw, path = pending.pop()
            try:
                condition = _CONDITION.validate_python(raw, context={FROM_YAML: True})
            except ValidationError:
                if isinstance(raw, dict) and len(raw) == 1:
                    ((key, value),) = raw.items()
                    if key in ("all", "any") and isinstance(value, list):
                        pending += [(item, (*path, key, i)) for i, item in enumerate(value)]
                    elif key == "not":
                        pending.append((value, (*path, key)))
                continue
            for issue_path, message in check_condition(condition, grain, context, path).issues:
                self.add(file, issue_path, message)

    def check_names(self, files: list[_File]) -> None:
        first: dict[str, _File] = {}
        for file in files:
            name = file.declared_name
            if name is None or not _is_slug(name):
                continue
            if name != file.path.stem:
                self.add(
                    file,
                    ("name",),
                    f"name '{name}' does not match the file name '{file.path.name}' "
                    f"(the file of {file.kind.noun} '{name}' is {name}.yml)",
                )
            if name in first:
                self.add(
                    file,
                    ("name",),
                    f"duplicate {file.kind.noun} name '{name}': also defined in "
                    f"{first[name].display}",
                )
            else:
                first[name] = file

    def declared_grains(self, files: list[_File]) -> dict[str, str | None]:
        """Name -> grain of every segment a file declares, even an invalid one (its grain None
        when unknown), so a reference to it is not reported as missing."""
        grains: dict[str, str | None] = {}
        for file in files:
            name = file.declared_name
            if name is None:
                continue
            data: Any = file.document.data if file.document else {}
            grain = data.get("grain") if isinstance(data, dict) else None
            grains[name] = grain if grain in GRAINS else None
        return grains

    def check_cycles(self, files: list[_File], references: dict[str, list[Reference]]) -> None:
        graph = {name: tuple(ref.segment for ref in refs) for name, refs in references.items()}
        by_name = {file.entry.name: file for file in files if file.entry is not None}
        for name, refs in references.items():
            cycle = cycle_through(name, graph)
            if cycle is None:
                continue
            reference = next(ref for ref in refs if ref.segment == cycle[1])
            self.add(
                by_name[name], reference.path, f"segment reference cycle: {' -> '.join(cycle)}"
            )

    def registry(self, files: list[_File], funnel_files: list[_File]) -> Registry:
        segments = {file.entry.name: file.entry for file in files if file.entry}
        paths = {file.entry.name: file.path for file in files if file.entry}
        dependencies = {name: segment.references() for name, segment in segments.items()}
        order = dependency_order(dependencies)
        return Registry(
            segments=MappingProxyType({name: segments[name] for name in order}),
            files=MappingProxyType({name: paths[name] for name in order}),
            _dependencies=MappingProxyType(dependencies),
            funnels=MappingProxyType({f.entry.name: f.entry for f in funnel_files if f.entry}),
            funnel_files=MappingProxyType({f.entry.name: f.path for f in funnel_files if f.entry}),
        )


def _about_unreadable(path: YamlPath, unreadable: set[YamlPath]) -> bool:
    """Is a schema problem at `path` about a value YAML could not read (already reported)?
    That is a problem at, inside or around it: the pair `between: [2026-02-30, ...]` fails as a
    whole when one of its items is unreadable. The mapping of the whole file (path ()) is never
    about one value."""
    return any(
        other[: len(path)] == path or path[: len(other)] == other for other in unreadable if path
    )


def _is_slug(name: str) -> bool:
    return re.fullmatch(SLUG_PATTERN, name) is not None
