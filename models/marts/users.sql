{#- One row per visitor (a user id once known, else an anonymous id): lifetime activity, the
    latest value of each identify trait, and acquisition. -#}
{{
    config(
        materialized=segmart.keyed_refresh_materialization(),
        incremental_strategy=segmart.incremental_strategy('delete+insert'),
        unique_key='visitor_id',
        on_schema_change='fail',
        post_hook=["{{ segmart.delete_vanished('visitor_id', ref('int_events_sessionized')) }}"],
    )
}}

{%- set traits = [
    ('email', 'varchar'), ('name', 'varchar'), ('plan', 'varchar'), ('company', 'varchar'),
    ('company_size', 'bigint'), ('mrr', 'money'),
] %}
{#- Orders a visitor's messages by event time; message_id breaks ties deterministically. -#}
{%- set latest_first = ['event_at', 'message_id'] %}

with

visitors_to_refresh as (
    select distinct visitor_id from {{ ref('int_events_sessionized') }}
    where {{ segmart.resessionized_since_last_run() }}
),

visitor_events as (
    select * from {{ ref('int_events_sessionized') }}
    where visitor_id in (select visitors_to_refresh.visitor_id from visitors_to_refresh)
),

event_facts as (
    select
        visitor_id,
        max(user_id) as user_id,
        min(event_at) as first_seen,
        max(event_at) as last_seen,
        min(case when event_name = 'signed_up' then event_at end) as signup_at,
        {% for trait, data_type in traits -%}
            {{ segmart.latest_trait(trait) }} as {{ trait }}_text,
        {% endfor -%}
        {{ segmart.value_at_max(
            'traits', latest_first, where="message_type = 'identify'", data_type='json',
        ) }} as latest_traits,
        {{ segmart.orders_revenue() }} as lifetime_revenue,
        count(case when {{ segmart.is_order() }} then 1 end) as lifetime_orders,
        max(_sessionized_run) as _sessionized_run,
        max(_sessionized_at) as _sessionized_at
    from visitor_events
    group by visitor_id
),

session_facts as (
    select
        visitor_id,
        count(*) as sessions_count,
        {{ segmart.value_at_min('channel', 'session_number') }} as first_channel,
        {{ segmart.value_at_min('country', 'session_number') }} as first_country
    from {{ ref('sessions') }}
    where visitor_id in (select visitors_to_refresh.visitor_id from visitors_to_refresh)
    group by visitor_id
),

final as (
    select
        event_facts.visitor_id,
        event_facts.user_id,
        event_facts.first_seen,
        event_facts.last_seen,
        event_facts.signup_at,
        {% for trait, data_type in traits -%}
            {%- set text = 'event_facts.' ~ trait ~ '_text' %}
            {% if data_type == 'money' -%}
                {{ segmart.money(segmart.try_cast(text, 'double')) }} as {{ trait }},
            {%- else -%}
                {{ segmart.try_cast(text, data_type) }} as {{ trait }},
            {%- endif %}
        {% endfor -%}
        event_facts.latest_traits,
        coalesce(session_facts.sessions_count, 0) as sessions_count,
        event_facts.lifetime_orders,
        event_facts.lifetime_revenue,
        session_facts.first_channel,
        session_facts.first_country,
        event_facts._sessionized_run,
        event_facts._sessionized_at
    from event_facts
    left join session_facts on event_facts.visitor_id = session_facts.visitor_id
)

select * from final
