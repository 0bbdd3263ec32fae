{#- Layers land in plainly named schemas (staging, intermediate, marts, segments, reference)
    rather than dbt's default "<target schema>_<custom>", so BI users query marts.sessions. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
