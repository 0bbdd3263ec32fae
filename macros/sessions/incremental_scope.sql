{#- Marts built from int_events_sessionized refresh only what its last run re-cut: rows whose
    _sessionized_at is newer than any this model has seen. Returns a predicate on that column. -#}
{% macro resessionized_since_last_run() -%}
    {%- if is_incremental() -%}
        _sessionized_at > (select max(previous._sessionized_at) from {{ this }} as previous)
    {%- else -%}
        true
    {%- endif -%}
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
