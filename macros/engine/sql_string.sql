{#- A SQL string literal: the one quoting path for values written into SQL text
    by macros (the registry compiler's Python twin is segmart.sql.quote_literal). -#}
{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

