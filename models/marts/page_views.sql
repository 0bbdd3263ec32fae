{#- Page and screen views, in session order. -#}
{{ config(materialized='view') }}

with

final as (
    select
        message_id as page_view_id,
        session_id,
        visitor_id,
        user_id,
        event_at as viewed_at,
        message_type as view_type,
        coalesce(page_path, page_name) as page_path,
        page_name,
        page_url,
        page_title,
        page_referrer,
        page_search,
        properties
    from {{ ref('int_events_sessionized') }}
    where message_type in ('page', 'screen')
)

select * from final
