{#- Who belongs to which account (Segment group calls): one row per account and visitor that a
    group call put in it, with the visitor's user id. Visitors are identity-stitched, so a group
    call made before signing up counts for the user the visitor became. A visitor may belong to
    several accounts. Built from marts.users' rows, after them: a refresh stopped midway never
    publishes members that users does not have yet. -#}
with

group_calls as (
    select
        group_id,
        visitor_id,
        event_at
    from {{ ref('int_events_sessionized') }}
    where message_type = 'group'
),

memberships as (
    select
        group_id as account_id,
        visitor_id,
        min(event_at) as first_grouped_at,
        max(event_at) as last_grouped_at
    from group_calls
    group by group_id, visitor_id
),

final as (
    select
        memberships.account_id,
        memberships.visitor_id,
        users.user_id,
        memberships.first_grouped_at,
        memberships.last_grouped_at
    from memberships
    inner join {{ ref('users') }} as users on memberships.visitor_id = users.visitor_id
)

select * from final
