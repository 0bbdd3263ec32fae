{#- Warehouses that read files from their own cloud storage (Snowflake, BigQuery) load raw event
    files into raw.segment_events themselves, server-side, where Segment's S3 / GCS export put
    them: the files never pass through the machine running dbt.

        dbt run-operation load_raw_events --args '{location: "@segment_stage/events/"}'

    The engines' statements are in macros/engine/<engine>.sql; stg_events_landed then reads the
    table (landed_raw_messages) exactly as on PostgreSQL. DuckDB reads the files itself, and
    PostgreSQL's files are loaded by segmart (segmart/raw_load.py). -#}
{% macro load_raw_events(location) -%}
    {%- for statement in segmart.raw_events_load_statements(location) -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {%- do segmart.require_loaded_raw_events(location) -%}
    {%- do log("segmart: loaded new raw event files at " ~ location, info=true) -%}
{%- endmacro %}

{#- After a server-side load, a raw table without a row means the location held no event file (a
    wrong stage path or bucket): the configuration error naming it, unless an empty build is
    allowed (require_raw_events.sql). -#}
{% macro require_loaded_raw_events(location) -%}
    {%- if segmart.empty_raw_events_allowed() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set any_row = run_query(
        'select 1 from ' ~ segmart.loaded_raw_events_relation() ~ ' limit 1'
    ) -%}
    {%- if any_row.rows | length == 0 -%}
        {%- do segmart.raise_no_raw_events(location) -%}
    {%- endif -%}
{%- endmacro %}

{#- The statements that append every file at location not loaded before to raw.segment_events
    (source_file, source_line, raw_message, loaded_at), creating the table when missing. -#}
{% macro raw_events_load_statements(location) -%}
    {{ return(adapter.dispatch('raw_events_load_statements', 'segmart')(location)) }}
{%- endmacro %}

{% macro default__raw_events_load_statements(location) -%}
    {{ exceptions.raise_compiler_error(
        "segmart: " ~ target.type ~ " has no server-side raw event load: DuckDB reads the files"
        ~ " itself, and segmart loads them into PostgreSQL (docs/engines.md)"
    ) }}
{%- endmacro %}

{#- The location as written into a statement: one storage path, nothing that could end it. -#}
{% macro raw_events_location(location, pattern) -%}
    {%- if not modules.re.fullmatch(pattern, location) -%}
        {{ exceptions.raise_compiler_error(
            "segmart: the raw events location must match " ~ pattern ~ ", not " ~ location
        ) }}
    {%- endif -%}
    {{ return(location) }}
{%- endmacro %}
