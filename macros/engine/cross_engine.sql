{#- Engine-specific SQL lives here, one dispatched macro per construct, so a new engine is one
    more implementation per macro rather than edits across models. -#}

{#- Parse an ISO-8601 text into a UTC timestamp; null when it does not parse. -#}
{% macro parse_timestamp(text) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'segmart')(text)) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp(text) -%}
    timezone('UTC', try_cast({{ text }} as timestamptz))
{%- endmacro %}

{#- Elapsed seconds between two timestamps, fractional. dbt.datediff counts unit boundaries,
    which is wrong for inactivity gaps (2 s across a minute boundary would be "1 minute"). -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'segmart')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro duckdb__seconds_between(start_ts, end_ts) -%}
    (epoch({{ end_ts }}) - epoch({{ start_ts }}))
{%- endmacro %}

{#- Text value at a JSON path ('$.a.b'); null when absent. -#}
{% macro json_text(json_column, path) -%}
    {{ return(adapter.dispatch('json_text', 'segmart')(json_column, path)) }}
{%- endmacro %}

{% macro duckdb__json_text(json_column, path) -%}
    json_extract_string({{ json_column }}, '{{ path }}')
{%- endmacro %}

{#- Does the text match the regular expression (anywhere in the string)? -#}
{% macro regex_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'segmart')(text, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_matches(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{#- The value on the row with the largest / smallest ordering key within a group. -#}
{% macro value_at_max(value, order_key) -%}
    {{ return(adapter.dispatch('value_at_max', 'segmart')(value, order_key)) }}
{%- endmacro %}

{% macro duckdb__value_at_max(value, order_key) -%}
    arg_max({{ value }}, {{ order_key }})
{%- endmacro %}

{% macro value_at_min(value, order_key) -%}
    {{ return(adapter.dispatch('value_at_min', 'segmart')(value, order_key)) }}
{%- endmacro %}

{% macro duckdb__value_at_min(value, order_key) -%}
    arg_min({{ value }}, {{ order_key }})
{%- endmacro %}

{#- The same as regex_matches, with the pattern as the call block's body: generated segment
    models pass registry patterns this way so they stay SQL literals, never Jinja strings. -#}
{% macro regex_match(text) -%}
    {{ segmart.regex_matches(text, caller()) }}
{%- endmacro %}

{#- numerator / denominator as a double-precision number, null when the denominator is 0.
    Rates need the cast: PostgreSQL and Spark divide integers as integers (1 / 3 = 0), and
    DuckDB's `float` is single precision. -#}
{% macro ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('ratio', 'segmart')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ dbt.type_float() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{% macro duckdb__ratio(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}
