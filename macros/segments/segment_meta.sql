{#- The meta of a generated segment model (registry metadata), from dbt's graph at run time. -#}
{% macro segment_meta(model_name) -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and node.name == model_name -%}
                {{ return(node.config.meta) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return({}) }}
{%- endmacro %}
