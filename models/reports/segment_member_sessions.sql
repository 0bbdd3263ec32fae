{#- The sessions of every segment, whatever its grain: a session-grain segment's member sessions,
    and every session of a user-grain segment's member visitors. Filter any session-level
    question by any segment with one join. -#}
with

memberships as (
    select
        segment_name,
        grain,
        member_key
    from {{ ref('segment_memberships') }}
),

sessions as (
    select
        session_id,
        visitor_id
    from {{ ref('sessions') }}
),

member_sessions as (
    select
        memberships.segment_name,
        memberships.grain,
        sessions.session_id,
        sessions.visitor_id
    from memberships
    inner join sessions on memberships.member_key = sessions.session_id
    where memberships.grain = 'session'
),

member_visitor_sessions as (
    select
        memberships.segment_name,
        memberships.grain,
        sessions.session_id,
        sessions.visitor_id
    from memberships
    inner join sessions on memberships.member_key = sessions.visitor_id
    where memberships.grain = 'user'
),

final as (
    select
        segment_name,
        grain,
        session_id,
        visitor_id
    from member_sessions
    union all
    select
        segment_name,
        grain,
        session_id,
        visitor_id
    from member_visitor_sessions
)

select * from final
