{#- Every rejected raw row, as received, with the rule it broke: nothing is dropped silently. -#}
with

final as (
    select
        source_file,
        source_line,
        reject_reason,
        raw_message,
        message_id,
        message_type,
        anonymous_id,
        user_id,
        event_at,
        received_at,
        _loaded_at
    from {{ ref('stg_events_landed') }}
    where reject_reason is not null
)

select * from final
