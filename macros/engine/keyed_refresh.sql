{#- How the models refreshed by key are materialized: stg_events, int_events_sessionized,
    sessions and users (incremental_strategy delete+insert; sessions and users also delete keys
    that vanished, in a post-hook). Incremental where the engine can delete rows by key; a full rebuild from
    stg_events_landed (itself still incremental) where it cannot, which gives the same rows:
    docs/engines.md. -#}
{% macro keyed_refresh_materialization() -%}
    {{ return(adapter.dispatch('keyed_refresh_materialization', 'segmart')()) }}
{%- endmacro %}

{% macro default__keyed_refresh_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}
