{#- `segmart reset-history` (dbt run-operation reset_membership_history): the only way to start
    membership history anew. The change feed is state that full refreshes keep; this drops it,
    so the next build records every current member as entered and activation sends them all to
    every destination again. Says what it deletes; deletes only when confirm is true. -#}
{% macro reset_membership_history(confirm=false) %}
    {%- set feed = ref('segment_membership_changes') -%}
    {%- set existing = adapter.get_relation(
        database=feed.database, schema=feed.schema, identifier=feed.identifier
    ) -%}
    {%- if existing is none -%}
        {{ print("segmart: no membership history to reset (" ~ feed ~ " does not exist)") }}
        {{ return(none) }}
    {%- endif -%}
    {%- set counted = run_query(
        "select count(*), count(distinct segment_name) from " ~ existing
    ) -%}
    {%- set changes, segments = counted.rows[0][0], counted.rows[0][1] -%}
    {%- set what = changes ~ " recorded entries and exits of " ~ segments ~ " segments ("
        ~ existing ~ ", and with it segment_membership_history)" -%}
    {%- if not confirm -%}
        {{ print("segmart: reset-history would delete " ~ what ~ "; nothing deleted") }}
        {{ return(none) }}
    {%- endif -%}
    {%- do adapter.drop_relation(existing) -%}
    {#- run-operation never commits; the count above opened the transaction on engines with them. -#}
    {%- do adapter.commit() -%}
    {{ print("segmart: deleted " ~ what ~ ". The next build records every current member as"
        ~ " entered; activation then sends them to every destination again.") }}
{% endmacro %}
