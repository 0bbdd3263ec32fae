{#- Per segment: how its sessions move from one page or event to the next, as Sankey-ready rows
    (from_step -> to_step, with counts). The next steps from a page: from_step = it; the steps
    before it: to_step = it. '(start)' and '(exit)' mark where sessions begin and end. -#}
with

-- Pages and screens by path (else name), track events by name; identify, group and alias
-- calls are not steps.
steps as (
    select
        session_id,
        event_at,
        message_id,
        case
            when message_type in ('page', 'screen')
                then coalesce(page_path, event_name_original, '(' || message_type || ')')
            else event_name
        end as step
    from {{ ref('events') }}
    where session_id is not null and message_type in ('page', 'screen', 'track')
),

ordered as (
    select
        session_id,
        step,
        lag(step) over (partition by session_id order by event_at, message_id) as previous_step,
        lead(step) over (partition by session_id order by event_at, message_id) as next_step
    from steps
),

moves as (
    select
        session_id,
        coalesce(previous_step, '(start)') as from_step,
        step as to_step
    from ordered
    union all
    select
        session_id,
        step as from_step,
        '(exit)' as to_step
    from ordered
    where next_step is null
),

-- Each session's moves counted once, before they are repeated for every segment it is in.
session_moves as (
    select
        session_id,
        from_step,
        to_step,
        count(*) as transitions
    from moves
    group by session_id, from_step, to_step
),

segment_moves as (
    select
        member_sessions.segment_name,
        member_sessions.grain,
        session_moves.from_step,
        session_moves.to_step,
        cast(sum(session_moves.transitions) as {{ dbt.type_bigint() }}) as transitions,
        count(*) as sessions
    from {{ ref('segment_member_sessions') }} as member_sessions
    inner join session_moves on member_sessions.session_id = session_moves.session_id
    group by
        member_sessions.segment_name,
        member_sessions.grain,
        session_moves.from_step,
        session_moves.to_step
),

final as (
    select
        segment_name,
        grain,
        from_step,
        to_step,
        transitions,
        sessions,
        {{ segmart.ratio(
            'transitions', 'sum(transitions) over (partition by segment_name, from_step)'
        ) }} as share_of_from,
        {{ segmart.ratio(
            'transitions', 'sum(transitions) over (partition by segment_name, to_step)'
        ) }} as share_of_to
    from segment_moves
)

select * from final
