{#- A SQL string literal: the one quoting path for values written into SQL text
    by macros, and by Python for DuckDB (segmart.sql.duckdb_string). How a literal escapes
    differs per engine: Spark, BigQuery and Snowflake read backslash escapes (backslash_escaped_string;
    spark.sql, snowflake.sql, bigquery.sql), BigQuery has no '' escape and no line break inside '...'. -#}
{% macro sql_string(value) -%}
    {{ return(adapter.dispatch('sql_string', 'segmart')(value)) }}
{%- endmacro %}

{#- Standard SQL: a quote doubled, a backslash is itself (DuckDB, PostgreSQL). -#}
{% macro default__sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#- Backslash escapes (Spark, BigQuery, Snowflake): backslash, quote, line feed, carriage return. -#}
{% macro backslash_escaped_string(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'")
        | replace("\n", "\\n") | replace("\r", "\\r") }}'
{%- endmacro %}


{#- Several values as a comma-separated list of SQL string literals, e.g. for `in (...)`. -#}
{% macro sql_string_list(values) -%}
    {%- for value in values -%}
        {{ segmart.sql_string(value) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
