"""The analyst commands as the CLI runs them: one segment of a loaded registry, printed."""

from __future__ import annotations

import sys
from pathlib import Path

from segmart.inspect.context import Inspection
from segmart.inspect.diff import diff, format_diff
from segmart.inspect.explain import explain, format_explanation
from segmart.inspect.preview import format_preview, preview
from segmart.inspect.readonly import InspectError
from segmart.inspect.render import project_of
from segmart.registry import Registry
from segmart.settings import Settings


def run(command: str, registry: Registry, name: str, segments_dir: Path, limit: int = 10) -> int:
    """Print `command`'s answer for the segment `name`; on an error print it and return 1."""
    try:
        if limit < 0:
            raise InspectError(f"--limit must be 0 or more, not {limit}")
        inspection = Inspection.of(registry, name, Settings.from_env(), project_of(segments_dir))
        if command == "preview":
            text = format_preview(preview(inspection, limit))
        elif command == "explain":
            text = format_explanation(explain(inspection))
        elif command == "diff":
            text = format_diff(diff(inspection, limit))
        else:
            raise ValueError(f"unknown command {command!r}")
    except InspectError as error:
        print(f"segmart: {error}", file=sys.stderr)
        return 1
    print(text)
    return 0
