{#- The reference time segment windows are relative to ("last 7 days" = event time in
    (as_of - 7 days, as_of]). Fixed by the var segmart_as_of (or env SEGMART_AS_OF) for
    reproducible results; else the run's start time, shared by every model of the run. -#}
{% macro as_of() -%}
    {%- set fixed = var('segmart_as_of', env_var('SEGMART_AS_OF', '')) | string | trim -%}
    {%- if fixed -%}
        cast({{ segmart.sql_string(fixed) }} as timestamp)
    {%- else -%}
        {{ segmart.run_started() }}
    {%- endif -%}
{%- endmacro %}

{#- When this dbt invocation started (UTC): the same for every model of a run. -#}
{% macro run_started() -%}
    cast({{ segmart.sql_string(run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f')) }} as timestamp)
{%- endmacro %}
