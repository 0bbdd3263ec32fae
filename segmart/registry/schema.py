"""The JSON Schemas of segment and funnel files, generated from the pydantic models.

Editors (via the `# yaml-language-server: $schema=...` line at the top of each file) complete
keys and flag mistakes as you type; generating it from the models keeps it from drifting from
what `segmart validate` accepts. It is a guide for editors: `segmart validate` remains the
authority (it also checks columns, grains, references and lists).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from segmart.registry.models import Funnel, Segment
from segmart.settings import PROJECT_DIR

SCHEMAS_DIR = PROJECT_DIR / "schemas"
# Each kind of registry file, its model and the name of its schema file in SCHEMAS_DIR.
KINDS = {"segment": Segment, "funnel": Funnel}
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _RegistrySchema(GenerateJsonSchema):
    """Pydantic's generator, adjusted to the YAML people write: an optional field is left out
    rather than set to null, and property titles (noise in editor hovers) are dropped."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        default = json_schema.get("default")
        if default is None:
            json_schema.pop("default", None)
        elif isinstance(default, dict):
            json_schema["default"] = {k: v for k, v in default.items() if v is not None}
        return json_schema

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def schema_file(kind: str) -> str:
    return f"{kind}.schema.json"


def json_schema(kind: str = "segment") -> dict[str, Any]:
    """The JSON Schema of one segment (or funnel) file."""
    schema = KINDS[kind].model_json_schema(by_alias=True, schema_generator=_RegistrySchema)
    schema.pop("title", None)
    return _unwrap_lines({"$schema": SCHEMA_DIALECT, "title": f"segmart {kind}", **schema})


def _unwrap_lines(value: Any) -> Any:
    """Descriptions come from wrapped docstrings: join their lines for editor hovers."""
    if isinstance(value, dict):
        return {
            key: " ".join(item.split())
            if key == "description" and isinstance(item, str)
            else _unwrap_lines(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_unwrap_lines(item) for item in value]
    return value


def schema_text(kind: str = "segment") -> str:
    """The schema as written to schemas/<kind>.schema.json."""
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"


def write_schemas(folder: Path = SCHEMAS_DIR) -> list[Path]:
    """Write every kind's schema file into `folder` (created); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in KINDS:
        path = folder / schema_file(kind)
        path.write_text(schema_text(kind), encoding="utf-8")
        paths.append(path)
    return paths


def stale_schemas(folder: Path = SCHEMAS_DIR) -> list[Path]:
    """The schema files in `folder` that are missing or out of date."""
    stale = []
    for kind in KINDS:
        path = folder / schema_file(kind)
        if not path.exists() or path.read_text(encoding="utf-8") != schema_text(kind):
            stale.append(path)
    return stale
