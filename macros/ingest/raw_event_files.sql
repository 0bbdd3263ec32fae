{#- Raw Segment events arrive as immutable files: newline-delimited JSON (optionally gzipped) and/or
    Parquet. SEGMART_EVENTS names one file, a folder (searched recursively) or a glob.

    raw_event_files() lists the files, at run time, so an incremental run can read only the files
    it has not loaded yet (selection by arrival, never by event time: a late event is still read).
-#}

{% macro raw_event_patterns(location) -%}
    {%- set location = location | trim -%}
    {%- set lowered = location | lower -%}
    {%- set json_suffixes = ['.jsonl', '.ndjson', '.json', '.jsonl.gz', '.ndjson.gz', '.json.gz'] -%}
    {%- if lowered.endswith('.parquet') -%}
        {{ return({'json': [], 'parquet': [location]}) }}
    {%- endif -%}
    {%- for suffix in json_suffixes -%}
        {%- if lowered.endswith(suffix) -%}
            {{ return({'json': [location], 'parquet': []}) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set folder = location.rstrip('/') -%}
    {%- set json_globs = [] -%}
    {%- for suffix in json_suffixes -%}
        {%- do json_globs.append(folder ~ '/**/*' ~ suffix) -%}
    {%- endfor -%}
    {{ return({'json': json_globs, 'parquet': [folder ~ '/**/*.parquet']}) }}
{%- endmacro %}

{#- {'json': [files], 'parquet': [files]}: files matching the location, minus those already
    recorded in loaded_relation.source_file (when given). Sorted, so reads are reproducible. -#}
{% macro raw_event_files(location, loaded_relation=none) -%}
    {%- set patterns = segmart.raw_event_patterns(location) -%}
    {%- set found = {'json': [], 'parquet': []} -%}
    {%- if not execute -%}
        {{ return(found) }}
    {%- endif -%}
    {%- for kind in ['json', 'parquet'] -%}
        {%- for pattern in patterns[kind] -%}
            {%- set sql -%}
                select file from glob({{ segmart.sql_string(pattern) }})
                {%- if loaded_relation is not none %}
                where file not in (select distinct source_file from {{ loaded_relation }})
                {%- endif %}
                order by file
            {%- endset -%}
            {%- for row in run_query(sql) -%}
                {%- do found[kind].append(row[0]) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(found) }}
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
            where trim(raw_message) <> ''
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
    {%- if not readers -%}
        {%- do log("segmart: no new raw event files at " ~ var('segmart_events'), info=true) -%}
        select
            cast(null as varchar) as source_file,
            cast(null as bigint) as source_line,
            cast(null as varchar) as raw_message
        where false
    {%- else -%}
        {{ readers | join('\n            union all\n') }}
    {%- endif -%}
{%- endmacro %}
