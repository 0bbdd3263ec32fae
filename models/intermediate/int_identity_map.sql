{#- anonymous_id -> user_id: the user most recently (by event time) seen on any message with that
    anonymous id. A visitor who logs in mid-visit thus keeps their anonymous history, and a shared
    device's anonymous events go to the latest user. -#}
with

identified_messages as (
    select
        anonymous_id,
        user_id,
        event_at,
        message_id
    from {{ ref('stg_events') }}
    where anonymous_id is not null and user_id is not null
),

final as (
    select
        anonymous_id,
        -- message_id breaks ties between messages stamped the same instant, deterministically.
        {{ segmart.value_at_max('user_id', ['event_at', 'message_id'], data_type='varchar') }}
            as user_id,
        max(event_at) as identified_at
    from identified_messages
    group by anonymous_id
)

select * from final
