{#- Membership as validity intervals: who was in which segment when. Members on date X:
    valid_from <= X and (valid_to is null or valid_to > X). -#}
{{ config(materialized='view') }}

with

ordered_changes as (
    select
        segment_name,
        grain,
        member_key,
        visitor_id,
        change,
        changed_at,
        lead(changed_at) over (
            partition by segment_name, member_key order by recorded_at
        ) as next_change_at
    from {{ ref('segment_membership_changes') }}
),

final as (
    select
        segment_name,
        grain,
        member_key,
        visitor_id,
        changed_at as valid_from,
        next_change_at as valid_to,
        next_change_at is null as is_current
    from ordered_changes
    where change = 'entered'
)

select * from final
