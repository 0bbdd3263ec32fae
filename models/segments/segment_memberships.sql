{#- Current members of every segment, one row per segment and member, with when the member
    entered (this stay) and the refresh time: filter BI dashboards by any segment with it. -#}
with

-- A current member's latest recorded change is its entry into this stay. One aggregate per
-- member, rather than the history view's window over every change (a sort of the whole feed).
latest_entries as (
    select
        segment_name,
        member_key,
        {{ segmart.value_at_max('changed_at', 'recorded_at', where="change = 'entered'") }}
            as member_since
    from {{ ref('segment_membership_changes') }}
    group by segment_name, member_key
),

final as (
    select
        current_members.segment_name,
        current_members.grain,
        current_members.member_key,
        current_members.visitor_id,
        latest_entries.member_since,
        current_members.refreshed_at
    from {{ ref('segment_members_current') }} as current_members
    left join latest_entries
        on
            current_members.segment_name = latest_entries.segment_name
            and current_members.member_key = latest_entries.member_key
)

select * from final
