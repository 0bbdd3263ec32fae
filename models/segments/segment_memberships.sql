{#- Current members of every segment, one row per segment and member, with when the member
    entered (this stay) and the refresh time: filter BI dashboards by any segment with it. -#}
with

final as (
    select
        current_members.segment_name,
        current_members.grain,
        current_members.member_key,
        current_members.visitor_id,
        history.valid_from as member_since,
        current_members.refreshed_at
    from {{ ref('segment_members_current') }} as current_members
    left join {{ ref('segment_membership_history') }} as history
        on
            current_members.segment_name = history.segment_name
            and current_members.member_key = history.member_key
            and history.is_current
)

select * from final
