{#- Every clean event with its visitor and, for activity (page, screen, track), its session.

    Incremental by arrival: a run re-cuts the whole history of every visitor that new messages
    touch (including the visitor an anonymous id belonged to before a new login moved it), so
    late and out-of-order events give exactly what a full refresh gives (tests/test_incremental.py).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy=segmart.incremental_strategy('delete+insert'),
        unique_key='message_id',
        on_schema_change='fail',
    )
}}
{#- A visitor's events in order. Written out in each window: Snowflake has no WINDOW clause. -#}
{%- set visitor_timeline = 'partition by visitor_id order by event_at, message_id' %}

with

events as (
    select
        stg_events.*,
        coalesce(stg_events.user_id, identity_map.user_id) as resolved_user_id,
        coalesce(
            stg_events.user_id, identity_map.user_id, stg_events.anonymous_id
        ) as visitor_id
    from {{ ref('stg_events') }} as stg_events
    left join {{ ref('int_identity_map') }} as identity_map
        on stg_events.anonymous_id = identity_map.anonymous_id
),

{% if is_incremental() %}
new_events as (
    select
        message_id,
        anonymous_id,
        visitor_id
    from events
    where _loaded_at > (select max(previous._loaded_at) from {{ this }} as previous)
),

visitors_to_recut as (
    -- union all: duplicates cost nothing in the `in (...)` below, and BigQuery has no bare union.
    select visitor_id from new_events
    union all
    -- Every visitor these messages' anonymous ids touch. This includes the user an anonymous
    -- id belonged to before a new login moved it: the message that tied them carries both ids.
    select events.visitor_id from events
    where events.anonymous_id in (select new_events.anonymous_id from new_events)
    union all
    -- The visitor an earlier copy of a message belonged to, when a copy received earlier
    -- arrives later under another identity.
    select previous.visitor_id from {{ this }} as previous
    where previous.message_id in (select new_events.message_id from new_events)
),

{% endif %}
scoped_events as (
    select * from events
    {%- if is_incremental() %}
    where visitor_id in (select visitors_to_recut.visitor_id from visitors_to_recut)
    {%- endif %}
),

activity as (
    select
        *,
        -- Empty fields keep their place ('google||spring' is not '|google|spring'): each is
        -- coalesced to '' (concat_ws would skip nulls; BigQuery has no concat_ws).
        nullif(
            coalesce(lower({{ segmart.clean_text('utm_source') }}), '')
            || '|' || coalesce(lower({{ segmart.clean_text('utm_medium') }}), '')
            || '|' || coalesce(lower({{ segmart.clean_text('utm_campaign') }}), ''),
            '||'
        ) as campaign_key
    from scoped_events
    where message_type in ('page', 'screen', 'track')
),

gaps as (
    select
        *,
        row_number() over ({{ visitor_timeline }}) as visitor_event_number,
        lag(event_at) over ({{ visitor_timeline }}) as previous_event_at
    from activity
),

inactivity_cuts as (
    select
        *,
        previous_event_at is null
        or {{ segmart.seconds_between('previous_event_at', 'event_at') }}
        > {{ var('session_inactivity_seconds') }} as starts_after_inactivity
    from gaps
),

campaign_marks as (
    select
        *,
        -- The campaign the current session started with: the last non-empty campaign since the
        -- visitor's activity resumed, or '' when it resumed without one.
        {{ segmart.last_value_ignore_nulls(
            "case when campaign_key is not null then campaign_key"
            ~ " when starts_after_inactivity then '' end"
        ) }} over (
            {{ visitor_timeline }}
            rows between unbounded preceding and 1 preceding
        ) as current_campaign_key
    from inactivity_cuts
),

session_starts as (
    select
        *,
        starts_after_inactivity
        or (
            campaign_key is not null
            and campaign_key is distinct from current_campaign_key
        ) as is_session_start
    from campaign_marks
),

numbered as (
    select
        *,
        sum(case when is_session_start then 1 else 0 end) over (
            {{ visitor_timeline }} rows between unbounded preceding and current row
        ) as session_number,
        {{ segmart.last_value_ignore_nulls('case when is_session_start then message_id end') }}
            over (
                {{ visitor_timeline }} rows between unbounded preceding and current row
            ) as session_first_message_id
    from session_starts
),

sessionized as (
    select
        message_id,
        visitor_event_number,
        is_session_start,
        session_number,
        -- Stable by what the session is (its visitor and first message), not by position alone.
        {{ dbt.hash("visitor_id || '|' || session_first_message_id") }} as session_id
    from numbered
),

final as (
    select
        events.message_id,
        events.message_type,
        events.event_name,
        events.event_name_original,
        events.visitor_id,
        events.resolved_user_id as user_id,
        events.anonymous_id,
        sessionized.session_id,
        sessionized.session_number,
        sessionized.is_session_start,
        sessionized.visitor_event_number,
        events.event_at,
        events.received_at,
        events.page_name,
        events.page_path,
        events.page_url,
        events.page_referrer,
        events.page_title,
        events.page_search,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        events.utm_term,
        events.utm_content,
        events.device_type,
        events.os_name,
        events.user_agent,
        events.country,
        events.locale,
        events.library_name,
        events.library_version,
        events.properties,
        events.traits,
        events._loaded_at,
        {{ segmart.current_utc_timestamp() }} as _sessionized_at
    from scoped_events as events
    left join sessionized on events.message_id = sessionized.message_id
)

select * from final
