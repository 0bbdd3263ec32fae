"""Render every generated file of the registry: one dbt model per segment, their properties
YAML (descriptions and meta for dbt docs and Dagster), and the list of segments that the shared
membership models loop over."""

from __future__ import annotations

from pathlib import Path

from segmart.compiler.conditions import (
    ACCOUNT_EVENTS,
    ACCOUNT_SESSIONS,
    ACCOUNT_USERS,
    GRAINS,
    ConditionCompiler,
)
from segmart.compiler.data_checks import (
    FILTER_VALUES_MODEL,
    LIST_UNMATCHED_MODEL,
    filter_values_sql,
    list_unmatched_sql,
)
from segmart.compiler.funnels import funnel_files
from segmart.compiler.library_doc import LIBRARY_DOC, library_markdown
from segmart.compiler.sqltext import (
    INTEGER_TYPE,
    STRING_TYPE,
    GeneratedFile,
    empty_select,
    generated_header,
    indent,
    jinja,
    jinja_safe,
    registry_file_label,
)
from segmart.registry.catalog import Catalog, load_catalog
from segmart.registry.loader import Registry
from segmart.registry.models import Segment
from segmart.registry.yaml_lines import dump_yaml
from segmart.sql import identifier, literal

SEGMENT_MODELS_DIR = Path("models") / "segments" / "generated"
REGISTRY_MACRO = Path("macros") / "generated" / "registered_segments.sql"
DEFINITIONS_MODEL = "segment_definitions"

MEMBER_COLUMNS = {
    "session": ("session_id", "visitor_id", "user_id", "session_start"),
    "user": ("visitor_id", "user_id", "email"),
    "account": ("account_id", "name", "plan"),
}
# Where each grain's members are.
MEMBER_TABLES = {
    "session": "{{ ref('sessions') }}",
    "user": "{{ ref('users') }}",
    "account": "{{ ref('accounts') }}",
}


def model_name(segment_name: str) -> str:
    return f"seg_{identifier(segment_name)}"


def generated_files(registry: Registry, catalog: Catalog | None = None) -> list[GeneratedFile]:
    catalog = catalog or load_catalog()
    files = [
        GeneratedFile(
            SEGMENT_MODELS_DIR / f"{model_name(s.name)}.sql", segment_sql(s, registry, catalog)
        )
        for s in registry
    ]
    files.append(
        GeneratedFile(SEGMENT_MODELS_DIR / f"{DEFINITIONS_MODEL}.sql", definitions_sql(registry))
    )
    files.append(
        GeneratedFile(
            SEGMENT_MODELS_DIR / f"{FILTER_VALUES_MODEL}.sql", filter_values_sql(registry, catalog)
        )
    )
    files.append(
        GeneratedFile(
            SEGMENT_MODELS_DIR / f"{LIST_UNMATCHED_MODEL}.sql", list_unmatched_sql(registry)
        )
    )
    files.append(GeneratedFile(SEGMENT_MODELS_DIR / "_segments.yml", properties_yaml(registry)))
    files += funnel_files(registry)
    files.append(GeneratedFile(REGISTRY_MACRO, registry_macro(registry)))
    files.append(GeneratedFile(LIBRARY_DOC, library_markdown(registry, source_label)))
    return files


def source_label(registry: Registry, segment: Segment) -> str:
    return registry_file_label(registry.files.get(segment.name), f"segments/{segment.name}.yml")


def segment_sql(segment: Segment, registry: Registry, catalog: Catalog) -> str:
    grain = GRAINS[segment.grain]
    predicate = ConditionCompiler(grain, catalog, segment.name, registry).visit(segment.where)
    columns = MEMBER_COLUMNS[segment.grain]
    source = MEMBER_TABLES[segment.grain]
    member_columns = ",\n".join(f"{grain.alias}.{column}" for column in columns)
    final_columns = ",\n".join([*columns, "{{ segmart.as_of() }} as refreshed_at"])
    return (
        generated_header(source_label(registry, segment), f"{segment.title}: {segment.description}")
        + "\n"
        "with\n"
        "\n"
        + "".join(f"{cte},\n\n" for cte in account_sources(predicate, catalog))
        + "members as (\n"
        f"{indent('select')}\n"
        f"{indent(member_columns, 2)}\n"
        f"{indent(f'from {source} as {grain.alias}')}\n"
        f"{indent('where')}\n"
        f"{indent(predicate, 2)}\n"
        "),\n"
        "\n"
        "final as (\n"
        f"{indent('select')}\n"
        f"{indent(final_columns, 2)}\n"
        f"{indent('from members')}\n"
        ")\n"
        "\n"
        "select * from final\n"
    )


def account_sources(sql: str, catalog: Catalog) -> list[str]:
    """The CTEs of account behaviour (conditions.ACCOUNT_EVENTS, ACCOUNT_SESSIONS) that `sql`
    reads: the events and sessions of each account's members, as the account's."""
    ctes = []
    for name, table, columns in (
        (ACCOUNT_EVENTS, "events", catalog.events),
        (ACCOUNT_SESSIONS, "sessions", catalog.sessions),
    ):
        if f"{name} as " not in sql:
            continue
        selected = ["account_users.account_id as visitor_id"] + [
            f"{table}.{identifier(column)}" for column in columns if column != "visitor_id"
        ]
        ctes.append(
            f"-- The {table} of each account's users as the account's (visitor_id: the account).\n"
            f"{name} as (\n"
            + indent(
                "select\n"
                + indent(",\n".join(selected))
                + f"\nfrom {{{{ ref('{table}') }}}} as {table}\n"
                f"inner join {ACCOUNT_USERS} as account_users\n"
                f"    on {table}.visitor_id = account_users.visitor_id"
            )
            + "\n)"
        )
    return ctes


# The columns of segment_definitions, in order; min_members is the only non-text one.
DEFINITION_COLUMNS = (
    "segment_name",
    "title",
    "description",
    "owner",
    "use_case",
    "visibility",
    "grain",
    "refresh",
    "tags",
    "referenced_segments",
    "registry_file",
    "min_members",
)


def _definition_values(registry: Registry, segment: Segment) -> tuple:
    return (
        segment.name,
        segment.title,
        segment.description,
        segment.owner,
        segment.use_case,
        segment.visibility,
        segment.grain,
        segment.refresh,
        ", ".join(segment.tags),
        ", ".join(segment.references()),
        source_label(registry, segment),
        int(segment.min_members),
    )


def definitions_sql(registry: Registry) -> str:
    """One row per segment with its registry metadata, for segment_catalog. Written by Python so
    registry text reaches SQL only through segmart.sql.literal."""
    selects = [
        "select\n"
        + indent(
            ",\n".join(
                f"{literal(value)} as {column}"
                for column, value in zip(
                    DEFINITION_COLUMNS, _definition_values(registry, segment), strict=True
                )
            )
        )
        for segment in registry
    ]
    if not selects:  # an empty registry still gives the catalog its columns
        selects = [
            empty_select(
                {c: INTEGER_TYPE if c == "min_members" else STRING_TYPE for c in DEFINITION_COLUMNS}
            )
        ]
    body = "\nunion all\n".join(selects)
    return (
        "-- Generated by `segmart compile` from segments/. Do not edit.\n"
        "-- Every saved segment's registry definition, one row per segment.\n"
        "-- Long registry text stays on one line, as written: --noqa: disable=LT05\n"
        "\n"
        "with\n"
        "\n"
        "definitions as (\n"
        f"{indent(body)}\n"
        ")\n"
        "\n"
        "select * from definitions\n"
    )


def properties_yaml(registry: Registry) -> str:
    models = []
    for segment in registry:
        key = GRAINS[segment.grain].key
        columns = [
            {"name": column, "description": _COLUMN_DOCS[column]}
            for column in MEMBER_COLUMNS[segment.grain]
        ]
        columns[0]["data_tests"] = ["unique", "not_null"]
        columns.append({"name": "refreshed_at", "description": _COLUMN_DOCS["refreshed_at"]})
        models.append(
            {
                "name": model_name(segment.name),
                "description": jinja_safe(f"{segment.title}. {segment.description}"),
                "config": {
                    "alias": segment.name,
                    "tags": ["segment", f"refresh_{segment.refresh}", f"grain_{segment.grain}"],
                    "meta": {
                        "segment": segment.name,
                        "title": jinja_safe(segment.title),
                        "owner": jinja_safe(segment.owner),
                        "use_case": jinja_safe(segment.use_case),
                        "visibility": segment.visibility,
                        "grain": segment.grain,
                        "member_key": key,
                        "refresh": segment.refresh,
                        "segment_tags": [jinja_safe(tag) for tag in segment.tags],
                        "min_members": segment.min_members,
                        "references": list(segment.references()),
                        "registry_file": source_label(registry, segment),
                    },
                },
                "columns": columns,
            }
        )
    models.append(
        {
            "name": DEFINITIONS_MODEL,
            "description": "Every saved segment's registry definition, one row per segment "
            "(segment_catalog adds sizes and health).",
            # A table, not a view: PostgreSQL's row security (the BI reader sees no private
            # segment's row, macros/engine/bi_reader.sql) applies to tables.
            "config": {"materialized": "table"},
            "columns": [
                {"name": column, "description": _DEFINITION_DOCS[column]}
                | ({"data_tests": ["unique", "not_null"]} if column == "segment_name" else {})
                for column in DEFINITION_COLUMNS
            ],
        }
    )
    header = "# Generated by `segmart compile` from segments/. Do not edit.\n"
    return header + dump_yaml({"version": 2, "models": models}, sort_keys=False, width=100)


_COLUMN_DOCS = {
    "session_id": "A member session.",
    "visitor_id": "The member's visitor (user id once known, else anonymous id).",
    "user_id": "User id, when known.",
    "session_start": "When the session started (UTC).",
    "email": "Latest known email trait.",
    "account_id": "A member account (the groupId of group calls).",
    "name": "The account's latest name trait.",
    "plan": "The account's latest plan trait.",
    "refreshed_at": "The reference time (as_of) of the refresh that computed this membership.",
}


_DEFINITION_DOCS = {
    "segment_name": "The segment's name (slug), also its table name in the segments schema.",
    "title": "Human title.",
    "description": "What the segment holds, in the owner's words.",
    "owner": "Who answers questions about it.",
    "use_case": "What it is used for (analysis, targeting, alerting, ...).",
    "visibility": "public or private.",
    "grain": "session or user: what one member row is.",
    "refresh": "Refresh cadence: hourly, daily or weekly.",
    "tags": "Registry tags, comma separated.",
    "referenced_segments": "Segments its conditions reference, comma separated.",
    "registry_file": "The registry file that defines it.",
    "min_members": "Below this many members the catalog warns too_small.",
}


def registry_macro(registry: Registry) -> str:
    """A macro listing (name, grain, model, member key column) of every segment: names are
    validated slugs and grains are enum values, so nothing free-form reaches this Jinja."""
    rows = ",\n".join(
        indent(
            f"{{'name': {literal(s.name)}, 'grain': {literal(s.grain)}, "
            f"'model': {literal(model_name(s.name))}, 'key': {literal(GRAINS[s.grain].key)}}}",
            2,
        )
        for s in registry
    )
    returned = jinja(f"return([\n{rows}\n    ])")
    return (
        "{#- Generated by `segmart compile` from segments/. Do not edit. -#}\n"
        "{% macro registered_segments() -%}\n"
        f"    {returned}\n"
        "{%- endmacro %}\n"
    )
