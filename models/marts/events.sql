{#- Every clean event with its visitor and session: the table behavioural segments read. -#}
{{ config(materialized='view') }}

with

final as (
    select
        message_id,
        message_type,
        event_name,
        event_name_original,
        visitor_id,
        user_id,
        anonymous_id,
        group_id,
        session_id,
        event_at,
        received_at,
        page_path,
        page_url,
        page_title,
        page_referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        country,
        properties,
        traits
    from {{ ref('int_events_sessionized') }}
)

select * from final
