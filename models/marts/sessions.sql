{#- One row per session: a visitor's run of activity without a gap longer than
    session_inactivity_seconds and without a change of campaign. -#}
{{
    config(
        materialized=segmart.keyed_refresh_materialization(),
        incremental_strategy=segmart.incremental_strategy('delete+insert'),
        unique_key='session_id',
        on_schema_change='fail',
        post_hook=["{{ segmart.delete_vanished('session_id', ref('int_events_sessionized')) }}"],
    )
}}

with

-- The events of every session re-cut since the last run. int_events_sessionized re-cuts from a
-- session's first event on, so each re-cut session has all its events in the runs since (an IN
-- over the session ids read every event of history, wide columns included).
session_events as (
    select * from {{ ref('int_events_sessionized') }}
    where session_id is not null and {{ segmart.resessionized_since_last_run() }}
),

aggregated as (
    select
        session_id,
        visitor_id,
        max(user_id) as user_id,
        min(session_number) as session_number,
        min(event_at) as session_start,
        max(event_at) as session_end,
        count(*) as event_count,
        count(case when message_type in ('page', 'screen') then 1 end) as page_count,
        {{ segmart.value_at_min('anonymous_id', 'visitor_event_number') }} as anonymous_id,
        {{ segmart.value_at_min(
            'coalesce(page_path, page_name)', 'visitor_event_number',
            where="message_type in ('page', 'screen')",
        ) }} as landing_page,
        {{ segmart.value_at_max(
            'coalesce(page_path, page_name)', 'visitor_event_number',
            where="message_type in ('page', 'screen')",
        ) }} as exit_page,
        -- Attribution and device come from the session's first event.
        max(case when is_session_start then page_referrer end) as referrer,
        max(case when is_session_start then utm_source end) as utm_source,
        max(case when is_session_start then utm_medium end) as utm_medium,
        max(case when is_session_start then utm_campaign end) as utm_campaign,
        max(case when is_session_start then utm_term end) as utm_term,
        max(case when is_session_start then utm_content end) as utm_content,
        max(case when is_session_start then device_type end) as context_device_type,
        max(case when is_session_start then os_name end) as context_os,
        max(case when is_session_start then user_agent end) as user_agent,
        max(case when is_session_start then country end) as country,
        count(case when event_name = 'rage_click' then 1 end) as rage_click_count,
        count(case when event_name = 'dead_click' then 1 end) as dead_click_count,
        count(case when event_name = 'js_error' then 1 end) as js_error_count,
        count(case when event_name = 'quick_back' then 1 end) as quick_back_count,
        count(case when event_name = 'excessive_scroll' then 1 end) as excessive_scroll_count,
        count(case when {{ segmart.is_order() }} then 1 end) as order_count,
        {{ segmart.orders_revenue() }} as revenue,
        max(_sessionized_run) as _sessionized_run,
        max(_sessionized_at) as _sessionized_at
    from session_events
    group by session_id, visitor_id
),

attributed as (
    select
        *,
        {{ segmart.url_host('referrer') }} as referrer_host,
        {{ segmart.normalize_medium('utm_medium') }} as normalized_medium,
        utm_source is not null or utm_medium is not null as has_utm
    from aggregated
),

distinct_referrer_hosts as (
    -- Classify each distinct host once, not once per session.
    select distinct referrer_host from attributed
    where referrer_host is not null
),

referrer_categories as (
    select
        distinct_referrer_hosts.referrer_host,
        min(known_hosts.category) as referrer_category
    from distinct_referrer_hosts
    inner join {{ ref('channel_referrer_hosts') }} as known_hosts
        on {{ segmart.text_contains(
            "'.' || distinct_referrer_hosts.referrer_host || '.'",
            "'.' || lower(known_hosts.domain) || '.'",
        ) }}
    group by distinct_referrer_hosts.referrer_host
),

channelled as (
    select
        attributed.*,
        referrer_categories.referrer_category,
        -- The engine's text type: the seed's column type differs per engine (varchar on
        -- PostgreSQL), and Spark calls text `string`.
        cast({{ segmart.channel_from_attribution(
            'attributed.has_utm',
            'medium_aliases.channel',
            'referrer_categories.referrer_category',
            'attributed.referrer_host',
        ) }} as {{ dbt.type_string() }}) as channel
    from attributed
    left join referrer_categories on attributed.referrer_host = referrer_categories.referrer_host
    left join {{ ref('channel_medium_aliases') }} as medium_aliases
        on attributed.normalized_medium = medium_aliases.medium
),

final as (
    select
        session_id,
        visitor_id,
        user_id,
        anonymous_id,
        cast(session_number as bigint) as session_number,
        session_number = 1 as is_first_visit,
        session_start,
        session_end,
        {{ segmart.seconds_between('session_start', 'session_end') }} as duration_seconds,
        event_count,
        page_count,
        landing_page,
        exit_page,
        referrer,
        referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        channel,
        coalesce(
            context_device_type, {{ segmart.device_type_from_user_agent('user_agent') }}
        ) as device_type,
        coalesce(context_os, {{ segmart.os_from_user_agent('user_agent') }}) as os,
        {{ segmart.browser_from_user_agent('user_agent') }} as browser,
        country,
        rage_click_count,
        dead_click_count,
        js_error_count,
        quick_back_count,
        excessive_scroll_count,
        order_count,
        revenue,
        {{ segmart.seconds_between('session_start', 'session_end') }}
        >= {{ var('suspected_bot_session_hours') }} * 3600
        or event_count >= {{ var('suspected_bot_event_count') }} as is_suspected_bot,
        _sessionized_run,
        _sessionized_at
    from channelled
)

select * from final
