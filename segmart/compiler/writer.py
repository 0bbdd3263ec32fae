"""Write generated files, or check that the written ones are up to date (`compile --check`)."""

from __future__ import annotations

from pathlib import Path

from segmart.compiler.funnels import FUNNEL_MODELS_DIR
from segmart.compiler.library_doc import LIBRARY_DOC
from segmart.compiler.models import REGISTRY_MACRO, SEGMENT_MODELS_DIR, GeneratedFile
from segmart.settings import PROJECT_DIR


def _existing(project_dir: Path) -> set[Path]:
    found = set()
    for folder in (project_dir / SEGMENT_MODELS_DIR, project_dir / FUNNEL_MODELS_DIR):
        if folder.exists():
            found |= {p.relative_to(project_dir) for p in folder.glob("*")}
    for single in (REGISTRY_MACRO, LIBRARY_DOC):
        if (project_dir / single).exists():
            found.add(single)
    return found


def write_generated(files: list[GeneratedFile], project_dir: Path = PROJECT_DIR) -> list[Path]:
    """Write every file; remove generated files of entries no longer in the registry."""
    wanted = {file.path for file in files}
    for stale in _existing(project_dir) - wanted:
        (project_dir / stale).unlink()
    changed = []
    for file in files:
        target = project_dir / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text() != file.text:
            target.write_text(file.text)
            changed.append(file.path)
    return changed


def check_generated(files: list[GeneratedFile], project_dir: Path = PROJECT_DIR) -> list[str]:
    """Problems that make the written files differ from what the registry generates."""
    problems = []
    wanted = {file.path for file in files}
    for stale in sorted(_existing(project_dir) - wanted):
        problems.append(f"{stale}: generated for an entry no longer in the registry")
    for file in files:
        target = project_dir / file.path
        if not target.exists():
            problems.append(f"{file.path}: missing")
        elif target.read_text() != file.text:
            problems.append(f"{file.path}: out of date with the registry")
    return problems
