{#- A SQL string literal: the one quoting path for values written into SQL text
    by macros (the registry compiler's Python twin is segmart.sql.literal). Quoting differs per
    engine (Spark escapes with backslashes: macros/engine/spark.sql). -#}
{% macro sql_string(value) -%}
    {{ return(adapter.dispatch('sql_string', 'segmart')(value)) }}
{%- endmacro %}

{% macro default__sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#- Several values as a comma-separated list of SQL string literals, e.g. for `in (...)`. -#}
{% macro sql_string_list(values) -%}
    {%- for value in values -%}
        {{ segmart.sql_string(value) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
