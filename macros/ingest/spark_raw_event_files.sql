{#- Raw event files on Spark: Spark lists and reads the JSON lines and Parquet files itself (on a
    cluster from wherever its executors can: HDFS, S3, a volume), giving each row the source_file,
    source_line and raw_message DuckDB's reader gives (read_raw_event_files, raw_event_files.sql).
    SEGMART_EVENTS names a file, a folder (read recursively) or a Hadoop glob. -#}

{#- The name segmart records for a file Spark lists (its URI): a local file's path without the
    `file:` scheme and with URI escapes decoded, as DuckDB names it; other schemes (s3a://,
    hdfs://) stay URIs. `+` is a plus in a path, not the space url_decode would make of it. -#}
{% macro spark_source_file(uri) -%}
    case
        when {{ uri }} like 'file:%'
            then url_decode(replace(regexp_replace({{ uri }}, '^file:(//)?', ''), '+', '%2B'))
        else {{ uri }}
    end
{%- endmacro %}

{#- Every file at the location, read in a Spark file format (a direct file query, with the
    reader's options). Spark lists the files as it plans the query, and reads only those a filter
    on `_metadata.file_path` keeps (file pruning), so a refresh reads only new files. -#}
{% macro spark_files(format, location, options={}) -%}
    {{ format }}.`{{ location | replace('`', '``') }}` with (
        'recursiveFileLookup' = 'true'
        {%- for key, value in options.items() %},
        {{ segmart.sql_string(key) }} = {{ segmart.sql_string(value) }}
        {%- endfor %}
    )
{%- endmacro %}

{#- Listing through the binaryFile format reads no file contents (no query asks for them). -#}
{% macro spark__raw_event_file_listing(location, loaded_relation, ledger) -%}
    select distinct {{ segmart.spark_source_file('_metadata.file_path') }} as file
    from {{ segmart.spark_files('binaryFile', location) }}
    where true
    {%- if loaded_relation is not none %}
        and {{ segmart.spark_source_file('_metadata.file_path') }} not in (
            select distinct loaded.source_file from {{ loaded_relation }} as loaded
        )
    {%- endif %}
    {%- if ledger is not none %}
        and {{ segmart.spark_source_file('_metadata.file_path') }} in (
            {{ segmart.landable_raw_files(ledger) }}
        )
    {%- endif %}
    order by file
{%- endmacro %}

{#- Each JSON-lines file is read whole (one task per file, gzip included) and split into lines,
    so a line keeps its number in the file. Lines end where DuckDB's reader ends them: when the
    file's first line break is CR LF, at each CR LF, LF or CR (after a lone CR DuckDB also drops
    a character; Spark does not); else at every CR and every LF, so such a file counts a later
    CR LF as two breaks, as DuckDB does. A leading byte order mark is dropped, and a line stops at
    a \x01 character (DuckDB's column delimiter). Blank lines are no rows; lines of only spaces
    neither (the Unicode space separators DuckDB's trim removes: trim_spaces). -#}
{% macro spark_read_json_lines(location, files) -%}
    select
        source_file,
        cast(line_index + 1 as bigint) as source_line,
        raw_message,
        -- Spark reads undecodable bytes as U+FFFD and has no line limit: no line is unreadable.
        cast(null as string) as read_error
    from (
        select
            source_file,
            line_index,
            substring_index(raw_line, chr(1), 1) as raw_message
        from (
            select
                source_file,
                posexplode(
                    split(
                        content,
                        case
                            when regexp_extract(content, '(\r\n|\r|\n)', 1) = '\r\n'
                                then '\r\n|\r|\n'
                            else '\r|\n'
                        end
                    )
                ) as (line_index, raw_line)
            from (
                select
                    {{ segmart.spark_source_file('_metadata.file_path') }} as source_file,
                    regexp_replace(value, '^\uFEFF', '') as content
                from {{ segmart.spark_files('text', location, {'wholetext': 'true'}) }}
                where {{ segmart.spark_source_file('_metadata.file_path') }}
                    in ({{ segmart.sql_string_list(files) }})
            ) as json_files
        ) as json_lines
    ) as cut_lines
    where {{ segmart.trim_spaces('raw_message') }} <> ''
{%- endmacro %}

{#- Parquet rows as JSON objects of all their columns, nulls included, numbered from 1 in file
    order. Files with different columns are read by name (mergeSchema), as DuckDB's
    union_by_name; only *.parquet files (any case) are inspected for their schema. -#}
{% macro spark_read_parquet_rows(location, files) -%}
    select
        {{ segmart.spark_source_file('_metadata.file_path') }} as source_file,
        _metadata.row_index + 1 as source_line,
        to_json(struct(*), map('ignoreNullFields', 'false')) as raw_message,
        cast(null as string) as read_error
    from {{ segmart.spark_files('parquet', location, {
        'mergeSchema': 'true', 'pathGlobFilter': '*.[pP][aA][rR][qQ][uU][eE][tT]',
    }) }}
    where {{ segmart.spark_source_file('_metadata.file_path') }}
        in ({{ segmart.sql_string_list(files) }})
{%- endmacro %}

{% macro spark__landed_raw_messages(loaded_relation) -%}
    {%- set location = var('segmart_events') -%}
    {%- set files = segmart.raw_event_files(
        location, loaded_relation=loaded_relation, ledger=segmart.raw_file_ledger()
    ) -%}
    {%- set readers = [] -%}
    {%- if files['json'] -%}
        {%- do readers.append(segmart.spark_read_json_lines(location, files['json'])) -%}
    {%- endif -%}
    {%- if files['parquet'] -%}
        {%- do readers.append(segmart.spark_read_parquet_rows(location, files['parquet'])) -%}
    {%- endif -%}
    {{ segmart.union_raw_readers(readers, location) }}
{%- endmacro %}

{#- Spark lists each file's size and time from its metadata (no contents read) but does not
    inspect files: every new file is recorded as loaded, with no content hash or line count, so
    a file Spark cannot read fails the build with Spark's error, and any later change of a loaded
    file (even a touch) is refused as changed. -#}
{% macro spark__new_raw_file_inspections(location, ledger) -%}
    {%- set listed = segmart.raw_event_files(location) -%}
    {%- set files = listed['json'] + listed['parquet'] -%}
    select
        present.source_file,
        present.file_size,
        present.modified_at,
        {{ segmart.no_inspection_fields() }}
    from (
        select distinct
            {{ segmart.spark_source_file('_metadata.file_path') }} as source_file,
            _metadata.file_size as file_size,
            date_trunc('SECOND', _metadata.file_modification_time) as modified_at
        from {{ segmart.spark_files('binaryFile', location) }}
    ) as present
    where present.source_file in ({{ segmart.sql_string_list(files) if files else "''" }})
    {%- if ledger is not none %}
        and {{ segmart.file_version_is_new(ledger, 'present') }}
    {%- endif %}
{%- endmacro %}
