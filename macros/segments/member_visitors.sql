{#- Every segment's member visitors, one row per segment and visitor: a session-grain member's
    visitor, a user-grain member, an account-grain member's users (marts.account_users). What
    the reports follow over time (retention) and into their sessions. -#}
{% macro member_visitors() -%}
    select distinct
        memberships.segment_name,
        memberships.grain,
        coalesce(account_users.visitor_id, memberships.visitor_id) as visitor_id
    from {{ ref('segment_memberships') }} as memberships
    left join {{ ref('account_users') }} as account_users
        on
            memberships.grain = 'account'
            and memberships.member_key = account_users.account_id
    where coalesce(account_users.visitor_id, memberships.visitor_id) is not null
{%- endmacro %}
