"""How dbt nodes become Dagster assets: keys named like the tables (schema/table), groups by
layer, and each segment's registry metadata (from the generated properties YAML, i.e. from
segments/*.yml) on its asset, so the asset catalog doubles as the segment library."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import AssetKey, MetadataValue
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

LAYERS = ("staging", "intermediate", "marts", "segments", "analyses")
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
        if dbt_resource_props["resource_type"] in {"model", "seed", "snapshot"}:
            # The key is where the table is: marts/sessions, segments/high_value.
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["alias"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "seed":
            return SEEDS_GROUP
        if resource_type == "source":
            return SOURCES_GROUP
        fqn = dbt_resource_props.get("fqn") or []
        if len(fqn) > 1 and fqn[1] in LAYERS:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        if not is_segment(dbt_resource_props):
            return super().get_description(dbt_resource_props)
        meta = segment_meta(dbt_resource_props)
        return (
            f"{dbt_resource_props.get('description') or meta['title']}\n\n"
            f"Use case: {meta['use_case']}\n\n"
            f"Owner: {meta['owner']} · grain: {meta['grain']} · refresh: {meta['refresh']} · "
            f"registry: {meta['registry_file']}"
        )

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        if is_segment(dbt_resource_props):
            return [dagster_owner(str(segment_meta(dbt_resource_props)["owner"]))]
        return super().get_owners(dbt_resource_props)

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        if is_segment(dbt_resource_props):
            meta = segment_meta(dbt_resource_props)
            tags.update({tag: "" for tag in meta.get("segment_tags") or ()})
            tags.update(
                {
                    "segmart/refresh": str(meta["refresh"]),
                    "segmart/grain": str(meta["grain"]),
                    "segmart/visibility": str(meta["visibility"]),
                }
            )
        return tags

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        if is_segment(dbt_resource_props):
            meta = segment_meta(dbt_resource_props)
            for field in SEGMENT_METADATA_FIELDS:
                value = meta.get(field)
                if isinstance(value, list | tuple):
                    value = MetadataValue.text(", ".join(map(str, value)))
                metadata[field] = value
            metadata["segment"] = meta["segment"]
        return metadata
