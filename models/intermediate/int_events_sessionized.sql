{#- Every clean event with its visitor and, for activity (page, screen, track), its session.

    Incremental by arrival, exact at any lateness (tests/duckdb/test_incremental.py). What new messages
    can change is computed from the data, not from a lookback window:
    - a visitor whose messages moved (a login re-attributing an anonymous history, an
      earlier-received copy under another identity) is re-cut from its first event, and so is
      the visitor they moved from;
    - any other visitor with new messages is re-cut from the last session that starts before
      its earliest new (or replaced) message, numbering on from there: events before that
      session's start cannot change, since a later event never joins an earlier session.
-#}
{{
    config(
        materialized=segmart.keyed_refresh_materialization(),
        incremental_strategy=segmart.incremental_strategy('delete+insert'),
        unique_key='message_id',
        on_schema_change='fail',
    )
}}
{#- A visitor's events in order. Written out in each window: Snowflake has no WINDOW clause. -#}
{%- set visitor_timeline = 'partition by visitor_id order by event_at, message_id' %}
{#- Who an event belongs to: the user it was sent for or, by its anonymous id, the user that id
    logged in as; else the anonymous visitor. -#}
{%- set user_id = 'coalesce(stg_events.user_id, identity_map.user_id)' %}
{%- set visitor_id = 'coalesce(stg_events.user_id, identity_map.user_id, stg_events.anonymous_id)' %}
{#- Every event beside its identity map row. Each reader below filters it on its own: one shared
    CTE of all events would be materialized whole (docs/benchmarks.md, "Measured design choices"). -#}
{%- set events_and_visitors -%}
    {{ ref('stg_events') }} as stg_events
    left join {{ ref('int_identity_map') }} as identity_map
        on stg_events.anonymous_id = identity_map.anonymous_id
{%- endset %}

with

-- Sessionization reads only these narrow columns; the wide ones are joined once, at the end, for
-- the rows it (re)cuts (docs/benchmarks.md, "Measured design choices").
events as (
    select
        stg_events.message_id,
        stg_events.message_type,
        stg_events.event_at,
        {{ visitor_id }} as visitor_id,
        stg_events.utm_source,
        stg_events.utm_medium,
        stg_events.utm_campaign
    from {{ events_and_visitors }}
),

{% if is_incremental() %}
new_events as (
    select
        stg_events.message_id,
        stg_events.anonymous_id,
        {{ visitor_id }} as visitor_id,
        stg_events.event_at
    from {{ events_and_visitors }}
    where
        stg_events._load_sequence
        > (select max(previous._load_sequence) from {{ this }} as previous)
),

-- Rows already sessionized that new messages touch: by anonymous id (a login may move them to
-- another visitor) or by message id (an earlier-received copy replaces them).
touched_rows as (
    select
        previous.message_id,
        previous.visitor_id,
        previous.event_at
    from {{ this }} as previous
    where
        previous.anonymous_id in (select new_events.anonymous_id from new_events)
        or previous.message_id in (select new_events.message_id from new_events)
),

-- Their visitor now, each looked up by message id before any join: joining them to all events
-- built a hash table of every event (docs/benchmarks.md, "Measured design choices").
touched_rows_now as (
    select
        stg_events.message_id,
        {{ visitor_id }} as visitor_id
    from {{ events_and_visitors }}
    where stg_events.message_id in (select touched_rows.message_id from touched_rows)
),

moved_rows as (
    select
        touched_rows.visitor_id as previous_visitor_id,
        touched_rows_now.visitor_id as current_visitor_id
    from touched_rows
    left join touched_rows_now on touched_rows.message_id = touched_rows_now.message_id
    where touched_rows_now.visitor_id is distinct from touched_rows.visitor_id
),

visitors_recut_whole as (
    -- distinct over union all: BigQuery has no bare union.
    select distinct moved.visitor_id
    from (
        select previous_visitor_id as visitor_id from moved_rows
        union all
        select current_visitor_id as visitor_id from moved_rows
        where current_visitor_id is not null
    ) as moved
),

-- The earliest position each other visitor's messages change at: new messages, and the old
-- position of a message whose copy was replaced.
earliest_changes as (
    select
        changes.visitor_id,
        min(changes.event_at) as changed_from
    from (
        select
            new_events.visitor_id,
            new_events.event_at
        from new_events
        union all
        select
            touched_rows.visitor_id,
            touched_rows.event_at
        from touched_rows
        where touched_rows.message_id in (select new_events.message_id from new_events)
    ) as changes
    where
        changes.visitor_id not in (
            select visitors_recut_whole.visitor_id from visitors_recut_whole
        )
    group by changes.visitor_id
),

-- The first message of the last session starting before the earliest change.
recut_starts as (
    select
        starts.visitor_id,
        starts.event_at,
        starts.message_id,
        starts.session_number,
        starts.visitor_event_number
    from (
        select
            previous.visitor_id,
            previous.event_at,
            previous.message_id,
            previous.session_number,
            previous.visitor_event_number,
            row_number() over (
                partition by previous.visitor_id
                order by previous.event_at desc, previous.message_id desc
            ) as recency
        from {{ this }} as previous
        inner join earliest_changes on previous.visitor_id = earliest_changes.visitor_id
        where previous.is_session_start and previous.event_at < earliest_changes.changed_from
    ) as starts
    where starts.recency = 1
),

visitors_to_recut as (
    select
        visitor_id,
        cast(null as {{ dbt.type_timestamp() }}) as from_event_at,
        cast(null as {{ dbt.type_string() }}) as from_message_id,
        0 as session_number_offset,
        0 as event_number_offset
    from visitors_recut_whole
    union all
    -- Without a session before the change (a new visitor, or a change before their first
    -- session) the whole history is re-cut.
    select
        earliest_changes.visitor_id,
        recut_starts.event_at as from_event_at,
        recut_starts.message_id as from_message_id,
        coalesce(recut_starts.session_number - 1, 0) as session_number_offset,
        coalesce(recut_starts.visitor_event_number - 1, 0) as event_number_offset
    from earliest_changes
    left join recut_starts on earliest_changes.visitor_id = recut_starts.visitor_id
),

{% endif %}
scoped_events as (
    select
        events.message_id,
        events.message_type,
        events.visitor_id,
        events.event_at,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        {%- if is_incremental() %}
            visitors_to_recut.session_number_offset,
            visitors_to_recut.event_number_offset
        {%- else %}
            0 as session_number_offset,
            0 as event_number_offset
        {%- endif %}
    from events
    {%- if is_incremental() %}
        inner join visitors_to_recut on events.visitor_id = visitors_to_recut.visitor_id
        where
            visitors_to_recut.from_event_at is null
            or events.event_at > visitors_to_recut.from_event_at
            or (
                events.event_at = visitors_to_recut.from_event_at
                and events.message_id >= visitors_to_recut.from_message_id
            )
    {%- endif %}
),

activity as (
    select
        message_id,
        visitor_id,
        event_at,
        session_number_offset,
        event_number_offset,
        -- Computed for the rows (re)cut only, not in `events` for all of history
        -- (docs/benchmarks.md, "Measured design choices").
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
        event_number_offset
        + row_number() over ({{ visitor_timeline }}) as visitor_event_number,
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
        session_number_offset
        + sum(case when is_session_start then 1 else 0 end) over (
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

-- The wide columns of the rows (re)cut, and their visitor again from the identity map: joining
-- back the visitor from scoped_events was a second join of every event on its message id. When
-- incremental, filtered by IN before the join: a plain join let DuckDB build its hash table on
-- all of stg_events (docs/benchmarks.md, "Measured design choices").
recut_events as (
    select
        stg_events.*,
        {{ user_id }} as resolved_user_id,
        {{ visitor_id }} as visitor_id
    from {{ events_and_visitors }}
    {%- if is_incremental() %}
    where stg_events.message_id in (select scoped_events.message_id from scoped_events)
    {%- endif %}
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
        events.group_id,
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
        events._load_sequence,
        events._loaded_at,
        -- The run that (re)computed the row: marts refresh what runs after their last one re-cut.
        cast({{ segmart.next_run_number('_sessionized_run') }} as bigint) as _sessionized_run,
        {{ segmart.current_utc_timestamp() }} as _sessionized_at
    from recut_events as events
    left join sessionized on events.message_id = sessionized.message_id
)

select * from final
