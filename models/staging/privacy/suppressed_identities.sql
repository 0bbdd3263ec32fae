{#- STATE: the people who asked to be forgotten, by every identity segmart linked to them
    (`segmart forget`, docs/security.md "Deletion"). Landing turns their rows into
    'suppressed' rejects that keep nothing of the message, on every load and every full refresh,
    so nothing downstream can hold them again. Only `segmart forget` adds rows; a full refresh
    never rebuilds this table (full_refresh=false), since the raw files cannot say who asked. -#}
{{
    config(
        schema='privacy',
        materialized='incremental',
        incremental_strategy=segmart.incremental_strategy('append'),
        full_refresh=false,
        on_schema_change='fail',
    )
}}

with

-- No rows: dbt creates the table with these columns, `segmart forget` fills it.
final as (
    select
        -- user_id, anonymous_id or email (lower case).
        cast(null as {{ dbt.type_string() }}) as identity_kind,
        cast(null as {{ dbt.type_string() }}) as identity_value,
        -- 'requested' (named in the request) or 'linked' (found through identity stitching).
        cast(null as {{ dbt.type_string() }}) as identity_source,
        cast(null as {{ dbt.type_string() }}) as request_id,
        cast(null as {{ dbt.type_timestamp() }}) as suppressed_at
)

select * from final
where 1 = 0
