{#- Event names are matched in a normalized form: lower case, each run of non-alphanumerics
    becomes "_", leading/trailing "_" trimmed ("Order Completed", "order-completed" ->
    order_completed). The registry's Python evaluates this very macro (segmart/naming.py). -#}
{% macro normalize_event_name(name) -%}
    {%- set underscored = segmart.regex_replace_all('lower(' ~ name ~ ')', "'[^a-z0-9]+'", "'_'") -%}
    nullif({{ segmart.trim_chars(underscored, "'_'") }}, '')
{%- endmacro %}

{#- UTM medium as the channel rules compare it: trimmed, lower case, "_" and spaces to "-". -#}
{% macro normalize_medium(medium) -%}
    nullif(replace(replace(lower({{ segmart.trim_spaces(medium) }}), '_', '-'), ' ', '-'), '')
{%- endmacro %}

{#- Host part of a URL, lower case, without port or credentials; null for empty input. The
    pattern's non-capturing group is not in every engine's regex dialect (Snowflake's POSIX). -#}
{% macro url_host(url) -%}
    {{ return(adapter.dispatch('url_host', 'segmart')(url)) }}
{%- endmacro %}

{% macro default__url_host(url) -%}
    {%- set host_pattern = "'^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?([^/?#:]+)'" -%}
    nullif(lower({{ segmart.regex_extract(url, host_pattern) }}), '')
{%- endmacro %}

{#- Trimmed text, null when empty: Segment libraries send "" as often as they omit a field. -#}
{% macro clean_text(text) -%}
    nullif({{ segmart.trim_spaces(text) }}, '')
{%- endmacro %}
