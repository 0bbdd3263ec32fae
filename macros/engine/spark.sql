{#- Apache Spark (dbt-spark, Spark 4 SQL with its default ANSI mode) versions of segmart's engine
    macros; the dispatchers and the DuckDB and PostgreSQL versions are in cross_engine.sql and
    beside it. DuckDB is the reference: tests/engines/test_engine_spark.py builds the same events on both
    and compares every table. dbt-databricks dispatches here too (databricks__, then spark__). -#}

{#- Backslash escapes (sql_string.sql's backslash_escaped_string, as Snowflake and BigQuery): a
    Spark string literal reads `\` as an escape ('x\d' is 'xd'), so a backslash is doubled; a quote
    is escaped the same way, which every Spark reads (Spark 3 read 'a''b' as two literals run
    together, 'ab'). -#}
{% macro spark__sql_string(value) -%}
    {{ segmart.backslash_escaped_string(value) }}
{%- endmacro %}

{#- Whether the text starts like an ISO-8601 date, alone or followed by a time: DuckDB reads no
    other text as a timestamp (nor a date followed by a space only); Spark alone would also read
    '2024' or '2024-05'. -#}
{% macro spark_starts_like_a_date(text) -%}
    {{ text }} rlike '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]|$)'
{%- endmacro %}

{#- An instant: an offset converts to UTC; text without one is UTC (the session time zone). -#}
{% macro spark__parse_timestamp(text) -%}
    case
        when {{ segmart.spark_starts_like_a_date(text) }}
            then try_cast({{ text }} as timestamp)
    end
{%- endmacro %}

{#- Computed as DuckDB computes epoch(end) - epoch(start) (each side as double seconds), so a gap
    falls on the same side of the inactivity cut to the last bit. -#}
{% macro spark__seconds_between(start_ts, end_ts) -%}
    (
        cast(unix_micros({{ end_ts }}) as double) / 1000000
        - cast(unix_micros({{ start_ts }}) as double) / 1000000
    )
{%- endmacro %}

{% macro spark__json_text(json_column, path) -%}
    get_json_object({{ json_column }}, {{ segmart.sql_string(path) }})
{%- endmacro %}

{#- Java regular expressions: the (?i) prefix and the classes segmart uses mean the same. -#}
{% macro spark__regex_matches(text, pattern) -%}
    ({{ text }} rlike {{ pattern }})
{%- endmacro %}

{% macro spark__regex_extract(text, pattern) -%}
    regexp_extract({{ text }}, {{ pattern }}, 1)
{%- endmacro %}

{% macro spark__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{#- Decimal text rounds to the nearest integer for bigint, as DuckDB's try_cast does
    ('12.5' -> 13, '1e3' -> 1000); Spark's own try_cast gives null for both. A timestamp is read
    as DuckDB's cast reads it: only text that starts like a date, and an offset after the seconds
    (Z, +02, +0200, +02:00) dropped, keeping the wall time (Spark would convert it to UTC). -#}
{% macro spark__try_cast(value, data_type) -%}
    {%- if data_type == 'varchar' -%}
        cast({{ value }} as string)
    {%- elif data_type == 'bigint' -%}
        coalesce(
            try_cast({{ value }} as bigint),
            try_cast(round(try_cast({{ value }} as double)) as bigint)
        )
    {%- elif data_type == 'timestamp' -%}
        {#- Leading spaces are read by DuckDB, trailing ones after a time too (Spark's cast trims). -#}
        {%- set text = 'ltrim(' ~ value ~ ')' -%}
        case
            when {{ segmart.spark_starts_like_a_date(text) }}
                then try_cast(regexp_replace(
                    {{ text }}, '(:[0-9]{2}(?:[.][0-9]*)?)(?:[zZ]|[+-][0-9]{2}(?::?[0-9]{2})?)$', '$1'
                ) as timestamp)
        end
    {%- else -%}
        try_cast({{ value }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{% macro spark__last_value_ignore_nulls(value) -%}
    last({{ value }}, true)
{%- endmacro %}

{#- max_by / min_by over a struct of the ordering columns (compared field by field); rows where
    the value or a key is null are filtered out, as DuckDB's arg_max / arg_min skip them.
    data_type (for engines that must name the value's type) is not needed here. -#}
{% macro spark__value_at_extreme(value, order_by, extreme, where, data_type=none) -%}
    {%- set columns = [order_by] if order_by is string else order_by -%}
    {%- set key = columns[0] if columns | length == 1 else 'struct(' ~ columns | join(', ') ~ ')' -%}
    {{ extreme }}_by({{ value }}, {{ key }})
    filter (where {{ segmart.extreme_row_condition(value, order_by, where) }})
{%- endmacro %}

{#- Spark's `float` is single precision: divide as double, like DuckDB. -#}
{% macro spark__ratio(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- The message stays JSON text (Spark tables hold JSON as strings), or null when the text is
    not a JSON object: json_object_keys is null for invalid JSON and for any other JSON value.
    (Unlike DuckDB's json_valid, it accepts an object followed by other text on the line.) -#}
{% macro spark__parse_message(raw_message) -%}
    case when json_object_keys({{ raw_message }}) is not null then {{ raw_message }} end
{%- endmacro %}

{#- A field by its dotted path: text for a string, number or boolean, JSON text for an object
    or an array, as DuckDB's typed fields give (numbers written alike: 1.50 as 1.5, 1e5 as
    100000.0). A JSON field (properties, traits) holding a plain string would be that string
    here, a JSON string on DuckDB: such a message is rejected and the field left null. -#}
{% macro spark__message_field(path, json) -%}
    get_json_object(message, '$.{{ path }}')
{%- endmacro %}

{#- The message stays text here and get_json_object unquotes strings ('{}' the string reads like
    {} the object): the field is typed from the message parsed as a VARIANT. A message with a
    duplicate key does not parse so, and its fields have no kind (not rejected for it). -#}
{% macro spark__message_field_kind(field) -%}
    {%- set kind = 'schema_of_variant(variant_get(try_parse_json(message), '
        ~ segmart.sql_string('$.' ~ field) ~ '))' -%}
    case
        when {{ kind }} = 'STRING' then 'string'
        when {{ kind }} = 'BOOLEAN' then 'boolean'
        when {{ kind }} like 'OBJECT%' then 'object'
        when {{ kind }} like 'ARRAY%' then 'array'
        when {{ kind }} != 'VOID' then 'number'
    end
{%- endmacro %}

{#- Plain Spark tables (Parquet in a Hive metastore) cannot delete rows, and dbt-spark has no
    delete+insert strategy: rebuild the keyed models in full (docs/engines.md). -#}
{% macro spark__keyed_refresh_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{#- dbt-databricks (1.11+) runs delete+insert on its Delta tables: incremental as on DuckDB. -#}
{% macro databricks__keyed_refresh_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{#- Spark's trim removes ' ' only; DuckDB's removes the Unicode space separators (category Zs,
    space_separator_code_points). Spark's chr() is ASCII only (chr(n % 256)), so the set
    is written with the \uXXXX escapes Spark string literals read. -#}
{% macro spark__trim_spaces(text) -%}
    {%- set code_points = segmart.space_separator_code_points() -%}
    trim(both '{% for code in code_points %}\u{{ '%04X' % code }}{% endfor %}' from {{ text }})
{%- endmacro %}

{#- Spark's two-argument trim is not trim(text, chars): the standard form. -#}
{% macro spark__trim_chars(text, chars) -%}
    trim(both {{ chars }} from {{ text }})
{%- endmacro %}

{#- The other cross-engine constructs take their defaults on Spark, which are Spark SQL:
    time_add (dbt.dateadd: spark_dbt_overrides.sql's timestampadd), minus_elapsed (timestamp -
    interval), week_start (date_trunc('week') is the Monday), current_utc_timestamp (the session
    time zone is UTC: profiles.yml), text_contains (position(... in ...)), url_host (Java regular
    expressions have non-capturing groups), incremental_strategy (the keyed models rebuild in
    full: keyed_refresh_materialization; append is dbt-spark's). -#}

{% macro spark__local_time(timestamp, zone) -%}
    from_utc_timestamp({{ timestamp }}, {{ segmart.sql_string(zone) }})
{%- endmacro %}
