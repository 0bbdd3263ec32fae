{#- Snowflake implementations of segmart's engine constructs. What each must do (DuckDB's
    semantics) is documented at its dispatcher in cross_engine.sql; constructs whose default
    already is Snowflake SQL have none here (text_contains, time_add, ratio, engine_setup,
    incremental_strategy, landed_raw_messages: raw events are loaded into raw.segment_events).

    Engine facts this file relies on:
    - Naive timestamps are TIMESTAMP_NTZ holding UTC; nothing here reads the session's TIMEZONE
      (TIMESTAMP is TIMESTAMP_NTZ under the default TIMESTAMP_TYPE_MAPPING).
    - Regular expressions are POSIX ERE plus \d \s \w: no (?:...) and no inline (?i) flag (case
      is a parameter); REGEXP_LIKE / RLIKE match the whole text, REGEXP_INSTR / _SUBSTR search.
    - Parsed JSON is a VARIANT; GET returns null on a missing key or a non-object, and
      STRIP_NULL_VALUE turns a JSON null into SQL null (as DuckDB reads JSON null).
    - String literals read backslash escapes. -#}

{% macro snowflake__sql_string(value) -%}
    {{ segmart.backslash_escaped_string(value) }}
{%- endmacro %}

{#- Text that starts like an ISO date (as DuckDB requires: TRY_TO_TIMESTAMP alone would also
    read '1700000000' as epoch seconds). -#}
{% macro snowflake_looks_like_date(text) -%}
    regexp_like({{ text }}, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([^0-9].*)?', 's')
{%- endmacro %}

{#- An offset (Z, +02, -0530, +05:30) after a time converts to UTC; text without one is UTC
    already, read as TIMESTAMP_NTZ so the session's time zone never applies. -#}
{% macro snowflake__parse_timestamp(text) -%}
    case
        when not {{ segmart.snowflake_looks_like_date(text) }} then null
        when regexp_like(
            {{ text }},
            '.*[0-9]:[0-9]{2}(:[0-9]{2}([.,][0-9]*)?)?[[:space:]]*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)',
            's'
        )
            then cast(convert_timezone('UTC', try_to_timestamp_tz({{ text }})) as timestamp_ntz)
        else try_to_timestamp_ntz({{ text }})
    end
{%- endmacro %}

{#- Microseconds between two timestamps are elapsed time (TIMESTAMPDIFF counts unit boundaries,
    which at the precision segmart keeps are the elapsed units). Not nanoseconds: their count
    overflows past 292 years, and a device clock can be off by more. -#}
{% macro snowflake__seconds_between(start_ts, end_ts) -%}
    (cast(timestampdiff(microsecond, {{ start_ts }}, {{ end_ts }}) as double) / 1000000)
{%- endmacro %}

{#- The VARIANT at a dotted path ('a.b'), SQL null when absent or JSON null. One GET per key:
    any key name works, no path syntax to escape. -#}
{% macro snowflake_json_at(json_column, dotted_path) -%}
    {%- set keys = dotted_path.split('.') -%}
    strip_null_value(
        {%- for key in keys %}get({% endfor -%}
        {{ json_column }}
        {%- for key in keys %}, {{ segmart.sql_string(key) }}){% endfor -%}
    )
{%- endmacro %}

{#- TO_VARCHAR of a VARIANT gives a string without its quotes, numbers and booleans as text and
    objects and arrays as JSON text, as DuckDB's json_extract_string does. -#}
{% macro snowflake__json_text(json_column, path) -%}
    to_varchar({{ segmart.snowflake_json_at(json_column, path[2:]) }})
{%- endmacro %}

{#- (pattern, parameters): a leading (?i) on a literal pattern becomes the 'i' parameter
    (segmart's patterns and the registry compiler write case-insensitivity that way). -#}
{% macro snowflake_regex(pattern) -%}
    {%- set pattern = pattern | trim -%}
    {%- if pattern.startswith("'(?i)") -%}
        {{ return(["'" ~ pattern[5:], 'i']) }}
    {%- endif -%}
    {{ return([pattern, 'c']) }}
{%- endmacro %}

{% macro snowflake__regex_matches(text, pattern) -%}
    {%- set pattern, parameters = segmart.snowflake_regex(pattern) -%}
    (regexp_instr({{ text }}, {{ pattern }}, 1, 1, 0, '{{ parameters }}') > 0)
{%- endmacro %}

{#- REGEXP_SUBSTR's 'e' parameter returns a capture group; null (no match) becomes ''. -#}
{% macro snowflake__regex_extract(text, pattern) -%}
    {%- set pattern, parameters = segmart.snowflake_regex(pattern) -%}
    coalesce(regexp_substr({{ text }}, {{ pattern }}, 1, 1, '{{ parameters }}e', 1), '')
{%- endmacro %}

{#- REGEXP_REPLACE replaces every match unless told an occurrence. -#}
{% macro snowflake__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{#- POSIX has no non-capturing group: the credentials are group 1, the host group 2. -#}
{% macro snowflake__url_host(url) -%}
    nullif(lower(regexp_substr(
        {{ url }}, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^@/?#]*@)?([^/?#:]+)', 1, 1, 'ce', 2
    )), '')
{%- endmacro %}

{#- TRY_CAST reads text only (the value is text: JSON text, a trait). Text to NUMBER(38, 0)
    rounds half away from zero, as DuckDB's bigint does ('12.5' -> 13). -#}
{% macro snowflake__try_cast(value, data_type) -%}
    {%- set text = segmart.trim_space_separators(value) -%}
    {%- if data_type == 'varchar' -%}
        cast({{ value }} as varchar)
    {%- elif data_type == 'bigint' -%}
        try_cast({{ text }} as number(38, 0))
    {%- elif data_type == 'double' -%}
        try_cast({{ text }} as double)
    {%- elif data_type == 'boolean' -%}
        try_cast({{ text }} as boolean)
    {%- elif data_type == 'timestamp' -%}
        {#- NTZ keeps the wall time and drops an offset, as DuckDB's cast to timestamp does. -#}
        case when {{ segmart.snowflake_looks_like_date(text) }} then try_to_timestamp_ntz({{ text }}) end
    {%- else -%}
        {{ exceptions.raise_compiler_error("segmart.try_cast: no Snowflake cast to " ~ data_type) }}
    {%- endif -%}
{%- endmacro %}

{#- One ordering column: MIN_BY / MAX_BY, which skip rows whose key is null (the key is nulled
    on rows that do not count). Several: ARRAY_AGG ... WITHIN GROUP (ORDER BY ...), which skips
    null values, first element; its VARIANT is cast back to data_type. -#}
{% macro snowflake__value_at_extreme(value, order_by, extreme, where, data_type) -%}
    {%- set condition = segmart.extreme_row_condition(value, order_by, where) -%}
    {%- if order_by is string -%}
        {{ extreme }}_by({{ value }}, case when {{ condition }} then {{ order_by }} end)
    {%- else -%}
        {%- set types = {'varchar': 'varchar', 'bigint': 'number(38, 0)', 'double': 'double'} -%}
        {%- if data_type not in types and data_type != 'json' -%}
            {{ exceptions.raise_compiler_error(
                "segmart.value_at_" ~ extreme ~ " with several ordering columns needs data_type"
                ~ " (varchar, bigint, double or json) on Snowflake: " ~ value
            ) }}
        {%- endif -%}
        {%- set first -%}
            get(
                array_agg(case when {{ condition }} then {{ value }} end)
                    within group (order by {{ segmart.extreme_ordering(order_by, extreme) }}),
                0
            )
        {%- endset -%}
        {%- if data_type == 'json' -%}
            {{ first }}
        {%- else -%}
            cast({{ first }} as {{ types[data_type] }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- IGNORE NULLS follows the call on Snowflake: last_value(x) ignore nulls over (...). -#}
{% macro snowflake__last_value_ignore_nulls(value) -%}
    last_value({{ value }}) ignore nulls
{%- endmacro %}

{#- A VARIANT when the text is a JSON object, else null (TRY_PARSE_JSON is null on invalid
    JSON; arrays and scalars are not objects). -#}
{% macro snowflake__parse_message(raw_message) -%}
    case when is_object(try_parse_json({{ raw_message }})) then try_parse_json({{ raw_message }}) end
{%- endmacro %}

{#- Text read like json_text; properties and traits stay VARIANT. -#}
{% macro snowflake__message_field(path, json) -%}
    {%- if json -%}
        {{ segmart.snowflake_json_at('message', path) }}
    {%- else -%}
        {{ segmart.snowflake__json_text('message', '$.' ~ path) }}
    {%- endif -%}
{%- endmacro %}

{#- TYPEOF names a VARIANT's kind (INTEGER and DECIMAL for numbers, NULL_VALUE for JSON null); null
    when the key is absent. -#}
{% macro snowflake__message_field_kind(field) -%}
    case typeof(get(message, {{ segmart.sql_string(field) }}))
        when 'VARCHAR' then 'string'
        when 'INTEGER' then 'number'
        when 'DECIMAL' then 'number'
        when 'DOUBLE' then 'number'
        when 'BOOLEAN' then 'boolean'
        when 'OBJECT' then 'object'
        when 'ARRAY' then 'array'
    end
{%- endmacro %}

{#- DATEDIFF(unit, a, b) is b - a: this adds start - end. -#}
{% macro snowflake__minus_elapsed(timestamp, start_ts, end_ts) -%}
    dateadd(nanosecond, datediff(nanosecond, {{ end_ts }}, {{ start_ts }}), {{ timestamp }})
{%- endmacro %}

{#- DAYOFWEEKISO is 1 on Monday whatever the WEEK_START parameter (DATE_TRUNC('week') obeys it). -#}
{% macro snowflake__week_start(timestamp) -%}
    dateadd(day, 1 - dayofweekiso({{ timestamp }}), cast({{ timestamp }} as date))
{%- endmacro %}

{#- SYSDATE is the current UTC time as TIMESTAMP_NTZ (CURRENT_TIMESTAMP is in the session's
    zone). -#}
{% macro snowflake__current_utc_timestamp() -%}
    sysdate()
{%- endmacro %}

{#- Raw event files from a stage (macros/ingest/load_raw_events.sql): each line of JSON lines
    files (gzipped or not) and each Parquet row, with the file's name and the row's number in
    it. COPY INTO remembers the files it loaded (64 days), so a file is loaded once. A line is
    read whole: no field delimiter, quote or escape. Unlike DuckDB's reader, a line of only
    spaces is kept (COPY cannot filter) and is rejected as invalid_json. -#}
{% macro snowflake__raw_events_load_statements(location) -%}
    {%- set stage = segmart.raw_events_location(location, '@[A-Za-z0-9_.$/=-]+') -%}
    {%- set table = segmart.loaded_raw_events_relation() -%}
    {%- set create_schema -%}
        create schema if not exists {{ table.without_identifier() }}
    {%- endset -%}
    {%- set create_table -%}
        create table if not exists {{ table }} (
            source_file varchar not null,
            source_line bigint not null,
            raw_message varchar not null,
            loaded_at timestamp_ntz not null default sysdate()
        )
    {%- endset -%}
    {%- set copy_json_lines -%}
        copy into {{ table }} (source_file, source_line, raw_message)
        from (select metadata$filename, metadata$file_row_number, $1 from {{ stage }})
        pattern = '.*[.](jsonl|ndjson|json)([.]gz)?'
        file_format = (
            type = csv
            field_delimiter = none
            record_delimiter = '\n'
            field_optionally_enclosed_by = none
            escape = none
            escape_unenclosed_field = none
            null_if = ()
            empty_field_as_null = false
            skip_blank_lines = true
            trim_space = false
            compression = auto
        )
    {%- endset -%}
    {%- set copy_parquet -%}
        copy into {{ table }} (source_file, source_line, raw_message)
        from (select metadata$filename, metadata$file_row_number, to_json($1) from {{ stage }})
        pattern = '.*[.]parquet'
        file_format = (type = parquet)
    {%- endset -%}
    {{ return([create_schema, create_table, copy_json_lines, copy_parquet]) }}
{%- endmacro %}

{% macro snowflake__trim_spaces(text) -%}
    {{ segmart.trim_space_separators(text) }}
{%- endmacro %}

{% macro snowflake__local_time(timestamp, zone) -%}
    convert_timezone('UTC', {{ segmart.sql_string(zone) }}, {{ timestamp }})
{%- endmacro %}
