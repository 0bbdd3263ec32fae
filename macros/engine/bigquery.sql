{#- BigQuery implementations of segmart's engine constructs. What each must do (DuckDB's
    semantics) is documented at its dispatcher in cross_engine.sql; constructs whose default
    already is BigQuery SQL have none here (ratio, engine_setup, landed_raw_messages: raw events
    are loaded into raw.segment_events).

    Engine facts this file relies on:
    - Naive timestamps are TIMESTAMPs (instants; text without an offset is read as UTC). A
      DATETIME never compares with a TIMESTAMP, so time arithmetic stays in TIMESTAMP.
    - Regular expressions are RE2, as DuckDB's: patterns carry over unchanged.
    - Parsed JSON is the JSON type: JSON_VALUE reads scalars as text, JSON_QUERY keeps JSON.
    - String literals read backslash escapes, have no '' escape and no line break.
    - Incremental models merge (dbt-bigquery has no delete+insert or append strategy). -#}

{% macro bigquery__sql_string(value) -%}
    {{ segmart.backslash_escaped_string(value) }}
{%- endmacro %}

{#- SAFE_CAST reads ISO-8601 text date first (an offset converts to UTC; none means UTC) and is
    null for anything else. It keeps microseconds: more fractional digits do not parse. -#}
{% macro bigquery__parse_timestamp(text) -%}
    safe_cast({{ text }} as timestamp)
{%- endmacro %}

{% macro bigquery__seconds_between(start_ts, end_ts) -%}
    (timestamp_diff({{ end_ts }}, {{ start_ts }}, microsecond) / 1000000)
{%- endmacro %}

{#- The JSON at a path, SQL null when absent or JSON null. -#}
{% macro bigquery_json_at(json_column, path) -%}
    case
        when json_type(json_query({{ json_column }}, {{ segmart.sql_string(path) }})) != 'null'
            then json_query({{ json_column }}, {{ segmart.sql_string(path) }})
    end
{%- endmacro %}

{#- JSON_VALUE is null for objects and arrays, which DuckDB returns as JSON text. -#}
{% macro bigquery__json_text(json_column, path) -%}
    coalesce(
        json_value({{ json_column }}, {{ segmart.sql_string(path) }}),
        case
            when json_type(json_query({{ json_column }}, {{ segmart.sql_string(path) }}))
                in ('object', 'array')
                then to_json_string(json_query({{ json_column }}, {{ segmart.sql_string(path) }}))
        end
    )
{%- endmacro %}

{% macro bigquery__regex_matches(text, pattern) -%}
    regexp_contains({{ text }}, {{ pattern }})
{%- endmacro %}

{#- REGEXP_EXTRACT returns the pattern's one capture group; null (no match) becomes ''. -#}
{% macro bigquery__regex_extract(text, pattern) -%}
    coalesce(regexp_extract({{ text }}, {{ pattern }}), '')
{%- endmacro %}

{#- REGEXP_REPLACE replaces every match. -#}
{% macro bigquery__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{#- BigQuery has no position(... in ...). -#}
{% macro bigquery__text_contains(text, needle) -%}
    strpos({{ text }}, {{ needle }}) > 0
{%- endmacro %}

{#- SAFE_CAST to INT64 refuses '12.5': read it as BIGNUMERIC and round half away from zero, as
    DuckDB's bigint does ('12.5' -> 13). A timestamp keeps its wall time and drops an offset, as
    DuckDB's cast to timestamp does. -#}
{% macro bigquery__try_cast(value, data_type) -%}
    {%- set text = segmart.trim_space_separators(value) -%}
    {%- if data_type == 'varchar' -%}
        cast({{ value }} as string)
    {%- elif data_type == 'bigint' -%}
        safe_cast(round(safe_cast({{ text }} as bignumeric)) as int64)
    {%- elif data_type == 'double' -%}
        safe_cast({{ text }} as float64)
    {%- elif data_type == 'boolean' -%}
        safe_cast({{ text }} as bool)
    {%- elif data_type == 'timestamp' -%}
        timestamp(safe_cast(regexp_replace(
            {{ text }},
            '([0-9]:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]*)?)?)[[:space:]]*(?:[zZ]|[+-][0-9]{2}(?::?[0-9]{2})?)$',
            {{ segmart.sql_string('\\1') }}
        ) as datetime))
    {%- else -%}
        {{ exceptions.raise_compiler_error("segmart.try_cast: no BigQuery cast to " ~ data_type) }}
    {%- endif -%}
{%- endmacro %}

{#- ARRAY_AGG ... IGNORE NULLS ORDER BY ... LIMIT 1 keeps the value's type and breaks ties by
    every ordering column (rows that do not count give a null value and are skipped). -#}
{% macro bigquery__value_at_extreme(value, order_by, extreme, where, data_type) -%}
    array_agg(
        case when {{ segmart.extreme_row_condition(value, order_by, where) }} then {{ value }} end
        ignore nulls order by {{ segmart.extreme_ordering(order_by, extreme) }} limit 1
    )[safe_offset(0)]
{%- endmacro %}

{% macro bigquery__last_value_ignore_nulls(value) -%}
    last_value({{ value }} ignore nulls)
{%- endmacro %}

{#- JSON when the text is a JSON object, else null. 'round': a number JSON cannot hold exactly
    in a FLOAT64 is rounded, not an error that would reject the message as invalid JSON. -#}
{% macro bigquery__parse_message(raw_message) -%}
    case
        when json_type(safe.parse_json({{ raw_message }}, wide_number_mode => 'round')) = 'object'
            then safe.parse_json({{ raw_message }}, wide_number_mode => 'round')
    end
{%- endmacro %}

{#- Text read like json_text; properties and traits stay JSON. -#}
{% macro bigquery__message_field(path, json) -%}
    {%- if json -%}
        {{ segmart.bigquery_json_at('message', '$.' ~ path) }}
    {%- else -%}
        {{ segmart.bigquery__json_text('message', '$.' ~ path) }}
    {%- endif -%}
{%- endmacro %}

{#- JSON_TYPE names the kinds alike; 'null' for JSON null, SQL null when the key is absent. -#}
{% macro bigquery__message_field_kind(field) -%}
    nullif(json_type(json_query(message, {{ segmart.sql_string('$.' ~ field) }})), 'null')
{%- endmacro %}

{#- dbt-bigquery's dateadd casts to DATETIME; TIMESTAMP_ADD keeps a TIMESTAMP (days, hours). -#}
{% macro bigquery__time_add(datepart, interval, timestamp) -%}
    timestamp_add(cast({{ timestamp }} as timestamp), interval ({{ interval }}) {{ datepart }})
{%- endmacro %}

{% macro bigquery__minus_elapsed(timestamp, start_ts, end_ts) -%}
    timestamp_sub(
        {{ timestamp }}, interval timestamp_diff({{ end_ts }}, {{ start_ts }}, microsecond) microsecond
    )
{%- endmacro %}

{#- WEEK truncates to Sunday on BigQuery; ISOWEEK to Monday. -#}
{% macro bigquery__week_start(timestamp) -%}
    date_trunc(cast({{ timestamp }} as date), isoweek)
{%- endmacro %}

{% macro bigquery__current_utc_timestamp() -%}
    current_timestamp()
{%- endmacro %}

{#- merge with the model's unique_key replaces the rows of each key, as delete+insert does (the
    new rows' keys are unique); merge without one inserts every row: append. -#}
{% macro bigquery__incremental_strategy(strategy) -%}
    {%- if strategy not in ('delete+insert', 'append') -%}
        {{ exceptions.raise_compiler_error("segmart: no BigQuery strategy for " ~ strategy) }}
    {%- endif -%}
    {{ return('merge') }}
{%- endmacro %}

{#- Raw event files from Cloud Storage (macros/ingest/load_raw_events.sql): location is a gs://
    URI with at most one wildcard naming files of one kind (gs://bucket/segment/*.jsonl.gz, or
    *.parquet). An external table reads them (a JSON line whole, as one CSV field with no quote
    and a delimiter JSON text cannot hold), and rows of files not loaded before are appended.
    BigQuery does not expose line numbers: source_line numbers a file's lines in text order. -#}
{% macro bigquery__raw_events_load_statements(location) -%}
    {%- set uri = segmart.raw_events_location(location, 'gs://[a-z0-9._-]+/[A-Za-z0-9._/=*-]*') -%}
    {%- set kind = segmart.raw_event_kind(uri) -%}
    {%- if kind is none -%}
        {{ exceptions.raise_compiler_error(
            "segmart: " ~ uri ~ " names neither JSON lines nor Parquet files"
        ) }}
    {%- endif -%}
    {%- set table = segmart.loaded_raw_events_relation() -%}
    {%- set files = api.Relation.create(
        database=table.database, schema=table.schema, identifier='segment_event_files'
    ) -%}
    {%- set create_schema -%}
        create schema if not exists {{ table.without_identifier() }}
    {%- endset -%}
    {%- set create_table -%}
        create table if not exists {{ table }} (
            source_file string not null,
            source_line int64 not null,
            raw_message string not null,
            loaded_at timestamp not null default current_timestamp()
        )
    {%- endset -%}
    {%- if kind == 'json' -%}
        {%- set create_files -%}
            create or replace external table {{ files }} (raw_line string)
            options (
                format = 'CSV',
                field_delimiter = '\x01',
                quote = '',
                compression = '{{ "GZIP" if uri.lower().endswith(".gz") else "NONE" }}',
                uris = [{{ segmart.sql_string(uri) }}]
            )
        {%- endset -%}
        {%- set rows = "select _FILE_NAME as source_file, raw_line as raw_message from " ~ files -%}
    {%- else -%}
        {%- set create_files -%}
            create or replace external table {{ files }}
            options (format = 'PARQUET', uris = [{{ segmart.sql_string(uri) }}])
        {%- endset -%}
        {%- set rows = "select _FILE_NAME as source_file, to_json_string(file_rows) as raw_message"
            ~ " from " ~ files ~ " as file_rows" -%}
    {%- endif -%}
    {%- set append -%}
        insert into {{ table }} (source_file, source_line, raw_message)
        select
            source_file,
            row_number() over (partition by source_file order by raw_message),
            raw_message
        from ({{ rows }}) as file_lines
        where
            source_file not in (select distinct loaded.source_file from {{ table }} as loaded)
            -- Blank lines are no rows, as DuckDB reads them.
            and {{ segmart.trim_spaces('raw_message') }} != ''
    {%- endset -%}
    {%- set drop_files -%}
        drop external table {{ files }}
    {%- endset -%}
    {{ return([create_schema, create_table, create_files, append, drop_files]) }}
{%- endmacro %}

{% macro bigquery__trim_spaces(text) -%}
    {{ segmart.trim_space_separators(text) }}
{%- endmacro %}

{#- BigQuery's DATETIME is the wall-clock time without a zone. -#}
{% macro bigquery__local_time(timestamp, zone) -%}
    datetime({{ timestamp }}, {{ segmart.sql_string(zone) }})
{%- endmacro %}
