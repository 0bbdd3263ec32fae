{#- The sessions of every segment, whatever its grain: a session-grain segment's member sessions,
    every session of a user-grain segment's member visitors and of an account-grain segment's
    accounts' users. Filter any session-level question by any segment with one join. -#}
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

-- User and account grain: every session of the member visitors (an account's users).
member_visitors as (
    {{ segmart.member_visitors() }}
),

member_visitor_sessions as (
    select
        member_visitors.segment_name,
        member_visitors.grain,
        sessions.session_id,
        sessions.visitor_id
    from member_visitors
    inner join sessions on member_visitors.visitor_id = sessions.visitor_id
    where member_visitors.grain <> 'session'
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
