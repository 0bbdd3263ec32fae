{#- The ledger of raw files (stg_raw_file_ledger) learns about each new version of a file (a path
    with a size and a modification time it has not recorded) from an inspection that reads the
    file independently of the reader that lands its lines (segmart/raw_inspection.py). -#}

{#- One row per version of a raw event file at the location not recorded in `ledger` (every
    version when it is none): source_file, file_size, modified_at (UTC), and the fields of its
    FileInspection (segmart/raw_inspection.py): content_hash, physical_lines, blank_lines,
    read_error, bad_lines. -#}
{% macro new_raw_file_inspections(location, ledger) -%}
    {%- if segmart.raw_source() != 'files' -%}
        {#- Raw event tables have no file versions: a table only grows (raw_event_tables.sql). -#}
        {{ return(segmart.no_raw_file_inspections()) }}
    {%- endif -%}
    {{ return(adapter.dispatch('new_raw_file_inspections', 'segmart')(location, ledger)) }}
{%- endmacro %}

{#- No row, the columns typed. -#}
{% macro no_raw_file_inspections() -%}
    {%- set text = dbt.type_string() -%}
    {{ segmart.empty_rows({
        'source_file': text, 'file_size': 'bigint', 'modified_at': 'timestamp',
        'content_hash': text, 'physical_lines': 'bigint', 'blank_lines': 'bigint',
        'read_error': text, 'bad_lines': text,
    }) }}
{%- endmacro %}

{#- DuckDB lists sizes and times without reading contents (read_blob without its content column)
    and inspects only the new versions, through the segmart_inspect_raw_file function
    (segmart/duckdb_plugin.py). -#}
{% macro duckdb__new_raw_file_inspections(location, ledger) -%}
    {%- set listed = segmart.raw_event_files(location) -%}
    {%- set files = listed['json'] + listed['parquet'] -%}
    {%- if not files -%}
        {{ segmart.no_raw_file_inspections() }}
    {%- else -%}
        select
            source_file,
            file_size,
            modified_at,
            {{ segmart.inspection_fields('inspection') }}
        from (
        select
            present.source_file,
            present.file_size,
            present.modified_at,
            cast(segmart_inspect_raw_file(present.source_file) as json) as inspection
        from (
            select
                filename as source_file,
                size as file_size,
                cast(last_modified as timestamp) as modified_at
            from read_blob([{{ segmart.sql_string_list(files) }}])
        ) as present
        {%- if ledger is not none %}
        where {{ segmart.file_version_is_new(ledger, 'present') }}
        {%- endif %}
        ) as inspected
    {%- endif %}
{%- endmacro %}

{#- Engines that do not read files themselves get the inspections from segmart's loader, which
    inspects each file version it sees before copying its lines (segmart/raw_load.py). -#}
{% macro default__new_raw_file_inspections(location, ledger) -%}
    select
        inspected.source_file,
        inspected.file_size,
        inspected.modified_at,
        {{ segmart.inspection_fields('cast(inspected.inspection as jsonb)') }}
    from {{ api.Relation.create(
        database=target.database, schema='raw', identifier='segment_file_inspections'
    ) }} as inspected
    {%- if ledger is not none %}
    where {{ segmart.file_version_is_new(ledger, 'inspected') }}
    {%- endif %}
{%- endmacro %}

{#- A condition: the file version `alias` (its source_file, file_size and modified_at) is not
    in the ledger yet, so it is inspected (and, if readable, landed) now. -#}
{% macro file_version_is_new(ledger, alias) -%}
    not exists (
        select 1
        from {{ ledger }} as seen
        where seen.source_file = {{ alias }}.source_file
            and seen.file_size = {{ alias }}.file_size
            and seen.modified_at = {{ alias }}.modified_at
    )
{%- endmacro %}

{#- The newest version of each file in the ledger: its ledger columns (and recency, 1). -#}
{% macro newest_raw_file_versions(ledger) -%}
    select *
    from (
        select
            ledger.*,
            row_number() over (partition by source_file order by first_seen_at desc) as recency
        from {{ ledger }} as ledger
    ) as versions
    where recency = 1
{%- endmacro %}

{#- The files whose lines may be landed: those whose newest ledger version is the version that
    was (or is about to be) loaded, or has its content. A file that changed after loading is not
    read again, not even by a full refresh: its rows would no longer be what the ledger recorded
    (it stays in stg_raw_files_quarantined until it is restored). -#}
{% macro landable_raw_files(ledger) -%}
    select newest.source_file
    from ({{ segmart.newest_raw_file_versions(ledger) }}) as newest
    where newest.status in ('loaded', 'unchanged')
{%- endmacro %}

{#- Why a file that changed after it was loaded is refused (sizes: SQL expressions). -#}
{% macro changed_file_error(loaded_size, new_size) -%}
    'changed after it was loaded (' || cast({{ loaded_size }} as {{ dbt.type_string() }})
    || ' -> ' || cast({{ new_size }} as {{ dbt.type_string() }})
    || ' bytes): its rows are those of the loaded version; deliver new events in new files,'
    || ' or restore it'
{%- endmacro %}

{#- Snowflake and BigQuery load files server-side (load_raw_events.sql) without inspecting them:
    each file the load appended is recorded once, as loaded, with no size, time, hash or line
    count; a file the load cannot read fails the load with the engine's error. -#}
{% macro snowflake__new_raw_file_inspections(location, ledger) -%}
    {{ segmart.uninspected_loaded_files(ledger) }}
{%- endmacro %}

{% macro bigquery__new_raw_file_inspections(location, ledger) -%}
    {{ segmart.uninspected_loaded_files(ledger) }}
{%- endmacro %}

{% macro uninspected_loaded_files(ledger) -%}
    select distinct
        raw_events.source_file,
        cast(null as bigint) as file_size,
        cast(null as timestamp) as modified_at,
        {{ segmart.no_inspection_fields() }}
    from {{ segmart.loaded_raw_events_relation() }} as raw_events
    {%- if ledger is not none %}
    where raw_events.source_file not in (select seen.source_file from {{ ledger }} as seen)
    {%- endif %}
{%- endmacro %}

{#- The FileInspection fields of a parsed JSON value (json_text reads it on every engine). -#}
{% macro inspection_fields(inspection) -%}
    {{ segmart.json_text(inspection, '$.content_hash') }} as content_hash,
    cast({{ segmart.json_text(inspection, '$.physical_lines') }} as bigint) as physical_lines,
    cast({{ segmart.json_text(inspection, '$.blank_lines') }} as bigint) as blank_lines,
    {{ segmart.json_text(inspection, '$.error') }} as read_error,
    -- JSON text of the list of BadLine objects; null when there is none.
    {{ segmart.json_text(inspection, '$.bad_lines') }} as bad_lines
{%- endmacro %}

{#- The same fields on engines that do not inspect files: null. -#}
{% macro no_inspection_fields() -%}
    cast(null as {{ dbt.type_string() }}) as content_hash,
    cast(null as bigint) as physical_lines,
    cast(null as bigint) as blank_lines,
    cast(null as {{ dbt.type_string() }}) as read_error,
    cast(null as {{ dbt.type_string() }}) as bad_lines
{%- endmacro %}
