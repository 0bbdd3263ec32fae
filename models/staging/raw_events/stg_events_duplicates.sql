{#- Clean rows that repeat a message_id already kept in stg_events: the copies deduplication set
    aside, with the copy that won. Raw rows = stg_events + stg_events_rejected + this. -#}
with

final as (
    select
        landed.message_id,
        landed.source_file,
        landed.source_line,
        landed.received_at,
        kept.source_file as kept_source_file,
        kept.source_line as kept_source_line,
        kept.received_at as kept_received_at
    from {{ ref('stg_events_landed') }} as landed
    inner join {{ ref('stg_events') }} as kept
        on landed.message_id = kept.message_id
    where
        landed.reject_reason is null
        and not (landed.source_file = kept.source_file and landed.source_line = kept.source_line)
)

select * from final
