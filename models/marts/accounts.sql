{#- One row per account (a groupId of Segment group calls): the latest value of each group trait,
    its members (marts.account_users) and their activity. Rebuilt whole: accounts are few, and a
    user's activity moves every account it is in. -#}

{%- set traits = [('name', 'varchar'), ('plan', 'varchar'), ('industry', 'varchar'),
    ('employees', 'bigint')] %}

with

group_calls as (
    select * from {{ ref('int_events_sessionized') }}
    where message_type = 'group'
),

account_traits as (
    select
        group_id as account_id,
        min(event_at) as first_grouped_at,
        {% for trait, data_type in traits -%}
            {{ segmart.latest_trait(trait, call='group') }} as {{ trait }}_text,
        {% endfor -%}
        {{ segmart.value_at_max(
            'traits', ['event_at', 'message_id'], where="message_type = 'group'", data_type='json',
        ) }} as latest_traits
    from group_calls
    group by group_id
),

-- A user in two accounts counts in both: each account's figures are its members'. Sums are
-- cast back to their columns' types (DuckDB widens a sum of bigints to hugeint).
member_facts as (
    select
        account_users.account_id,
        count(*) as users_count,
        min(users.first_seen) as first_seen,
        max(users.last_seen) as last_seen,
        cast(coalesce(sum(users.sessions_count), 0) as bigint) as sessions_count,
        cast(coalesce(sum(users.lifetime_orders), 0) as bigint) as lifetime_orders,
        cast(coalesce(sum(users.lifetime_revenue), 0) as {{ dbt.type_numeric() }}) as lifetime_revenue
    from {{ ref('account_users') }} as account_users
    left join {{ ref('users') }} as users on account_users.visitor_id = users.visitor_id
    group by account_users.account_id
),

final as (
    select
        account_traits.account_id,
        {% for trait, data_type in traits -%}
            {{ segmart.try_cast('account_traits.' ~ trait ~ '_text', data_type) }} as {{ trait }},
        {% endfor -%}
        account_traits.latest_traits,
        account_traits.first_grouped_at,
        member_facts.users_count,
        member_facts.first_seen,
        member_facts.last_seen,
        member_facts.sessions_count,
        member_facts.lifetime_orders,
        member_facts.lifetime_revenue
    from account_traits
    inner join member_facts on account_traits.account_id = member_facts.account_id
)

select * from final
