{#- Marts built from int_events_sessionized refresh only what its runs re-cut since: rows whose
    _sessionized_run is higher than any this model has seen. Returns a predicate on that column.
    A run number, not a time: a clock set back would hide every row stamped before it caught up. -#}
{% macro resessionized_since_last_run() -%}
    {%- if is_incremental() -%}
        _sessionized_run > (select max(previous._sessionized_run) from {{ this }} as previous)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The number of this run of the model: one more than the highest in its table, a full refresh
    included, so a run never numbers lower than one before it; 1 when there is no such table or
    column yet. Read while the model's SQL is rendered, before any materialization replaces the
    table (Spark drops it before it creates the new one); only by commands that write (an offline
    compile has no connection to read it with). -#}
{% macro next_run_number(column) -%}
    {%- set writes = execute and flags.WHICH in ['build', 'run'] and this is not none -%}
    {%- set existing = load_relation(this) if writes else none -%}
    {%- if existing is not none
        and column in adapter.get_columns_in_relation(existing) | map(attribute='name') | list -%}
        {%- set highest = run_query(
            'select coalesce(max(' ~ column ~ '), 0) from ' ~ existing
        ).columns[0].values()[0] -%}
        {{ return(highest | int + 1) }}
    {%- endif -%}
    {{ return(1) }}
{%- endmacro %}

{#- Post-hook: rows of this model whose key no longer exists upstream (a session merged away by a
    late event, a visitor whose anonymous history moved to the user they logged in as). -#}
{% macro delete_vanished(key, upstream) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ key }} not in (
            select upstream.{{ key }} from {{ upstream }} as upstream
            where upstream.{{ key }} is not null
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
