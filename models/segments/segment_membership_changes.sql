{#- Who entered and who exited each segment at each refresh: an append-only history kept
    across refreshes (the activation feed). A refresh that changes no membership adds nothing.
    State, not derived: raw files cannot tell who was a member at a past refresh, so a full
    refresh keeps this table and records only the changes since the last refresh (full_refresh:
    false). Only `segmart reset-history` starts it anew. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy=segmart.incremental_strategy('append'),
        on_schema_change='fail',
        full_refresh=false,
    )
}}

with

current_members as (
    select * from {{ ref('segment_members_current') }}
),

previous_members as (
    {% if is_incremental() %}
        -- Members after the last refresh: each (segment, member)'s latest change is an entry.
        select
            latest.segment_name,
            latest.grain,
            latest.member_key,
            latest.visitor_id
        from (
            select
                history.*,
                row_number() over (
                    partition by history.segment_name, history.member_key
                    order by history.recorded_at desc
                ) as recency
            from {{ this }} as history
        ) as latest
        where latest.recency = 1 and latest.change = 'entered'
    {% else %}
        select
            segment_name,
            grain,
            member_key,
            visitor_id
        from current_members
        where false
    {% endif %}
),

entered as (
    select
        current_members.segment_name,
        current_members.grain,
        current_members.member_key,
        current_members.visitor_id,
        'entered' as change
    from current_members
    left join previous_members
        on
            current_members.segment_name = previous_members.segment_name
            and current_members.member_key = previous_members.member_key
    where previous_members.member_key is null
),

exited as (
    select
        previous_members.segment_name,
        previous_members.grain,
        previous_members.member_key,
        previous_members.visitor_id,
        'exited' as change
    from previous_members
    left join current_members
        on
            previous_members.segment_name = current_members.segment_name
            and previous_members.member_key = current_members.member_key
    where current_members.member_key is null
),

final as (
    select
        segment_name,
        grain,
        member_key,
        visitor_id,
        change,
        {{ segmart.as_of() }} as changed_at,
        {{ segmart.run_started() }} as recorded_at
    from entered
    union all
    select
        segment_name,
        grain,
        member_key,
        visitor_id,
        change,
        {{ segmart.as_of() }} as changed_at,
        {{ segmart.run_started() }} as recorded_at
    from exited
)

select * from final
