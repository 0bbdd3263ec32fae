"""How dbt nodes become Dagster assets: keys named like the tables (schema/table), groups by
layer, and each segment's registry metadata (from the generated properties YAML, i.e. from
segments/*.yml) on its asset, so the asset catalog doubles as the segment library."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AssetSpec, MetadataValue
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

LAYERS = ("staging", "intermediate", "marts", "segments", "reports")
SEEDS_GROUP = "reference"
SOURCES_GROUP = "raw"

# Registry fields shown as asset metadata, in this order.
SEGMENT_METADATA_FIELDS = (
    "title",
    "owner",
    "use_case",
    "grain",
    "refresh",
    "visibility",
    "member_key",
    "min_members",
    "segment_tags",
    "references",
    "registry_file",
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_segment(props: Mapping[str, Any]) -> bool:
    return "segment" in (props.get("config", {}).get("meta") or props.get("meta") or {})


def segment_meta(props: Mapping[str, Any]) -> dict[str, Any]:
    return dict(props.get("config", {}).get("meta") or props.get("meta") or {})


def dagster_owner(owner: str) -> str:
    """Dagster owners are e-mail addresses or `team:<name>`."""
    owner = owner.strip()
    if _EMAIL.match(owner):
        return owner
    return "team:" + (re.sub(r"[^A-Za-z0-9_-]+", "-", owner).strip("-") or "unknown")


class SegmartTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        # Kept apart from get_asset_spec: dagster-dbt looks keys up through this method alone
        # (e.g. mapping the models of a dbt run back to their assets).
        if dbt_resource_props["resource_type"] in {"model", "seed", "snapshot"}:
            # The key is where the table is: marts/sessions, segments/high_value.
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["alias"]])
        return super().get_asset_key(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        spec = spec.replace_attributes(group_name=layer_group(props) or spec.group_name)
        if not is_segment(props):
            return spec
        meta = segment_meta(props)
        return spec.replace_attributes(
            description=(
                f"{props.get('description') or meta['title']}\n\n"
                f"Use case: {meta['use_case']}\n\n"
                f"Owner: {meta['owner']} · grain: {meta['grain']} · refresh: {meta['refresh']} · "
                f"registry: {meta['registry_file']}"
            ),
            owners=[dagster_owner(str(meta["owner"]))],
        ).merge_attributes(tags=segment_tags(meta), metadata=segment_metadata(meta))


def layer_group(props: Mapping[str, Any]) -> str | None:
    """The asset group: seeds are reference data, sources raw input, models their layer."""
    resource_type = props["resource_type"]
    if resource_type == "seed":
        return SEEDS_GROUP
    if resource_type == "source":
        return SOURCES_GROUP
    fqn = props.get("fqn") or []
    return fqn[1] if len(fqn) > 1 and fqn[1] in LAYERS else None


def segment_tags(meta: Mapping[str, Any]) -> dict[str, str]:
    """A segment's registry tags, and its refresh, grain and visibility as segmart/ tags."""
    return {
        **{tag: "" for tag in meta.get("segment_tags") or ()},
        "segmart/refresh": str(meta["refresh"]),
        "segmart/grain": str(meta["grain"]),
        "segmart/visibility": str(meta["visibility"]),
    }


def segment_metadata(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The registry fields of SEGMENT_METADATA_FIELDS, lists as text, and the segment's name."""
    metadata: dict[str, Any] = {}
    for field in SEGMENT_METADATA_FIELDS:
        value = meta.get(field)
        if isinstance(value, list | tuple):
            value = MetadataValue.text(", ".join(map(str, value)))
        metadata[field] = value
    metadata["segment"] = meta["segment"]
    return metadata
