{#- Raw Segment events arrive as immutable files: newline-delimited JSON (optionally gzipped) and/or
    Parquet. SEGMART_EVENTS names one file, a folder (searched recursively) or a glob.

    raw_event_files() lists the files, at run time, so an incremental run can read only the files
    it has not loaded yet (selection by arrival, never by event time: a late event is still read).
-#}

{#- The glob to list: the location itself when it names a file or is a glob, else everything
    below the folder. -#}
{% macro raw_event_glob(location) -%}
    {%- set location = location | trim -%}
    {%- if segmart.raw_event_kind(location) is not none
        or '*' in location or '?' in location or '[' in location -%}
        {{ return(location) }}
    {%- endif -%}
    {{ return(location.rstrip('/') ~ '/**/*') }}
{%- endmacro %}

{#- 'parquet', 'json', or none for a file segmart does not read. -#}
{% macro raw_event_kind(path) -%}
    {%- set json_suffixes = ['.jsonl', '.ndjson', '.json', '.jsonl.gz', '.ndjson.gz', '.json.gz'] -%}
    {%- set lowered = path | lower -%}
    {%- if lowered.endswith('.parquet') -%}
        {{ return('parquet') }}
    {%- endif -%}
    {%- for suffix in json_suffixes -%}
        {%- if lowered.endswith(suffix) -%}
            {{ return('json') }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- {'json': [files], 'parquet': [files]}: files at the location, minus those already recorded in
    loaded_relation.source_file (when given), and only those the ledger lets land (when given:
    landable_raw_files). Sorted, so reads are reproducible. Files of another kind are skipped
    with a warning naming them, never silently. -#}
{% macro raw_event_files(location, loaded_relation=none, ledger=none) -%}
    {%- set found = {'json': [], 'parquet': []} -%}
    {%- if not execute -%}
        {{ return(found) }}
    {%- endif -%}
    {%- if ledger is not none and load_relation(ledger) is none -%}
        {#- Commands that write nothing (compile, show; sqlfluff's lint target, on an empty
            in-memory database) render the SQL with nothing to list. -#}
        {%- if target.name == 'lint' or flags.WHICH not in ['build', 'run'] -%}
            {{ return(found) }}
        {%- endif -%}
        {%- do exceptions.raise_compiler_error(
            "segmart: the raw file ledger " ~ ledger ~ " is not built yet: build it first"
            ~ " (`dbt build` and `segmart build` do), so raw files are inspected before they land"
        ) -%}
    {%- endif -%}
    {%- set skipped = [] -%}
    {%- for row in run_query(segmart.raw_event_file_listing(location, loaded_relation, ledger)) -%}
        {%- set kind = segmart.raw_event_kind(row[0]) -%}
        {%- if kind is none -%}
            {%- do skipped.append(row[0]) -%}
        {%- else -%}
            {%- do found[kind].append(row[0]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if skipped -%}
        {%- do exceptions.warn(
            "segmart: skipped " ~ skipped | length ~ " file(s) at " ~ location
            ~ " that are neither JSON lines nor Parquet: " ~ skipped[:5] | join(', ')
        ) -%}
    {%- endif -%}
    {%- do segmart.require_raw_event_files(location, found, loaded_relation) -%}
    {{ return(found) }}
{%- endmacro %}

{#- A query of one column, the name of each file at the location not recorded in
    loaded_relation.source_file (every file when it is none) and landable by the ledger (when
    given), in order. -#}
{% macro raw_event_file_listing(location, loaded_relation, ledger=none) -%}
    {{ return(adapter.dispatch('raw_event_file_listing', 'segmart')(location, loaded_relation, ledger)) }}
{%- endmacro %}

{#- Engines that cannot read files never list them: raw.segment_events is filled for them before
    dbt builds (segmart/targets.py: segmart's loader on PostgreSQL, the load_raw_events operation
    on Snowflake and BigQuery). -#}
{% macro default__raw_event_file_listing(location, loaded_relation, ledger) -%}
    {{ exceptions.raise_compiler_error(
        "segmart: " ~ target.type ~ " does not read raw event files; `segmart build` loads them"
        ~ " into raw.segment_events first (README \"Other engines\")"
    ) }}
{%- endmacro %}

{% macro duckdb__raw_event_file_listing(location, loaded_relation, ledger) -%}
    select file from glob({{ segmart.sql_string(segmart.raw_event_glob(location)) }})
    where true
    {%- if loaded_relation is not none %}
        and file not in (select distinct source_file from {{ loaded_relation }})
    {%- endif %}
    {%- if ledger is not none %}
        and file in ({{ segmart.landable_raw_files(ledger) }})
    {%- endif %}
    order by file
{%- endmacro %}

{#- One row per raw line / Parquet row: source_file, source_line (1-based), raw_message (the
    message as JSON text, exactly as received for JSONL). Invalid JSON is kept, to be rejected. -#}
{% macro read_raw_event_files(files) -%}
    {%- set readers = [] -%}
    {%- if files['json'] -%}
        {%- set json_reader -%}
            select
                source_file,
                scan_position - min(scan_position) over (partition by source_file) + 1 as source_line,
                raw_message
            from (
                select
                    filename as source_file,
                    raw_line as raw_message,
                    row_number() over () as scan_position
                -- One VARCHAR column per line (delimiter \x01 cannot occur in valid JSON), so a
                -- line that is not JSON is still read and rejected rather than failing the load.
                from read_csv(
                    [{% for f in files['json'] %}{{ segmart.sql_string(f) }}{{ ', ' if not loop.last }}{% endfor %}],
                    columns = {'raw_line': 'VARCHAR'},
                    delim = chr(1), quote = '', escape = '', header = false,
                    auto_detect = false, strict_mode = false, filename = true,
                    max_line_size = 16777216
                )
            ) as json_lines
            -- Blank lines are no rows. CASE, so only lines that are not JSON get trimmed
            -- (trimming every line was a third of the load time).
            where case when json_valid(raw_message) then true else trim(raw_message) <> '' end
        {%- endset -%}
        {%- do readers.append(json_reader) -%}
    {%- endif -%}
    {%- if files['parquet'] -%}
        {%- set parquet_reader -%}
            select
                filename as source_file,
                file_row_number + 1 as source_line,
                cast(to_json(struct_pack(*columns(* exclude (filename, file_row_number)))) as varchar)
                    as raw_message
            from read_parquet(
                [{% for f in files['parquet'] %}{{ segmart.sql_string(f) }}{{ ', ' if not loop.last }}{% endfor %}],
                union_by_name = true, filename = true, file_row_number = true
            )
        {%- endset -%}
        {%- do readers.append(parquet_reader) -%}
    {%- endif -%}
    {{ segmart.union_raw_readers(readers, var('segmart_events')) }}
{%- endmacro %}

{#- The rows of every reader (a query of source_file, source_line, raw_message), one after the
    other; none, with the columns typed, when there is no new file at the location. -#}
{% macro union_raw_readers(readers, location) -%}
    {%- if not readers -%}
        {%- do log("segmart: no new raw event files at " ~ location, info=true) -%}
        select
            cast(null as {{ dbt.type_string() }}) as source_file,
            cast(null as bigint) as source_line,
            cast(null as {{ dbt.type_string() }}) as raw_message
        where false
    {%- else -%}
        {{ readers | join('\n    union all\n') }}
    {%- endif -%}
{%- endmacro %}

{#- The raw rows stg_events_landed has not landed yet (all of them when loaded_relation is none):
    source_file, source_line, raw_message. DuckDB reads the files themselves; engines that cannot
    read files read the table segmart's loader fills (segmart/raw_load.py, README "Other
    engines"), which holds each file's lines exactly as DuckDB reads them. -#}
{% macro landed_raw_messages(loaded_relation=none) -%}
    {{ return(adapter.dispatch('landed_raw_messages', 'segmart')(loaded_relation)) }}
{%- endmacro %}

{#- The ledger of raw files: only the files it lets land are read. -#}
{% macro raw_file_ledger() -%}
    {{ return(ref('stg_raw_file_ledger')) }}
{%- endmacro %}

{% macro duckdb__landed_raw_messages(loaded_relation) -%}
    {{ segmart.read_raw_event_files(segmart.raw_event_files(
        var('segmart_events'), loaded_relation=loaded_relation, ledger=segmart.raw_file_ledger()
    )) }}
{%- endmacro %}

{#- The loader's table: raw.segment_events (segmart.raw_load.RAW_TABLE). -#}
{% macro loaded_raw_events_relation() -%}
    {{ return(api.Relation.create(
        database=target.database, schema='raw', identifier='segment_events'
    )) }}
{%- endmacro %}

{% macro default__landed_raw_messages(loaded_relation) -%}
    select
        raw_events.source_file,
        raw_events.source_line,
        raw_events.raw_message
    from {{ segmart.loaded_raw_events_relation() }} as raw_events
    {%- if loaded_relation is not none %}
    where raw_events.source_file not in (
        select distinct landed.source_file from {{ loaded_relation }} as landed
    )
        and raw_events.source_file in ({{ segmart.landable_raw_files(segmart.raw_file_ledger()) }})
    {%- else %}
    where raw_events.source_file in ({{ segmart.landable_raw_files(segmart.raw_file_ledger()) }})
    {%- endif %}
{%- endmacro %}
