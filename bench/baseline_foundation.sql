-- The stronger baseline segmart's full build is measured against (issue 11): one hand-written
-- DuckDB query doing the foundation's core work with one parse per line. A typed read of the
-- fields it needs; rows without a message id or any identity dropped; duplicates of a message
-- id dropped, keeping the earliest received; event time corrected for the device clock;
-- each anonymous id's events under the latest user id it identified as; sessions cut after 30
-- minutes of inactivity or when the campaign changes; a sessions table with counts, landing and
-- exit page, campaign and revenue. No reject table, raw-file ledger, incremental bookkeeping or
-- marts beyond sessions: what segmart does on top is what the ratio measures.
-- {files} is replaced by the benchmark with a DuckDB list of file paths.
create or replace table baseline_foundation_sessions as
with

raw_events as (
    select *
    from read_json(
        {files},
        format = 'newline_delimited',
        ignore_errors = true,
        columns = {{
            messageId: 'VARCHAR', type: 'VARCHAR', anonymousId: 'VARCHAR', userId: 'VARCHAR',
            event: 'VARCHAR', timestamp: 'VARCHAR', originalTimestamp: 'VARCHAR',
            sentAt: 'VARCHAR', receivedAt: 'VARCHAR', properties: 'JSON',
            context: 'STRUCT(page STRUCT(path VARCHAR), campaign STRUCT(source VARCHAR,
                medium VARCHAR, name VARCHAR))'
        }}
    )
),

events as (
    select
        messageId as message_id,
        lower(type) as message_type,
        anonymousId as anonymous_id,
        userId as user_id,
        event as event_name,
        properties,
        context.page.path as page_path,
        context.campaign.source as utm_source,
        context.campaign.medium as utm_medium,
        context.campaign.name as utm_campaign,
        try_cast(receivedAt as timestamptz) as received_at,
        coalesce(
            try_cast(timestamp as timestamptz),
            try_cast(receivedAt as timestamptz)
            - (try_cast(sentAt as timestamptz) - try_cast(originalTimestamp as timestamptz)),
            try_cast(originalTimestamp as timestamptz),
            try_cast(receivedAt as timestamptz)
        ) as event_at
    from raw_events
    where messageId is not null and (anonymousId is not null or userId is not null)
),

deduplicated as (
    select *
    from events
    qualify row_number() over (partition by message_id order by received_at) = 1
),

identities as (
    select
        anonymous_id,
        arg_max(user_id, event_at) as user_id
    from deduplicated
    where anonymous_id is not null and user_id is not null
    group by anonymous_id
),

activity as (
    select
        deduplicated.*,
        coalesce(deduplicated.user_id, identities.user_id, deduplicated.anonymous_id)
            as visitor_id
    from deduplicated
    left join identities on deduplicated.anonymous_id = identities.anonymous_id
    where deduplicated.message_type in ('page', 'screen', 'track')
        and deduplicated.event_at is not null
),

cuts as (
    select
        *,
        case
            when lag(event_at) over visitor is null then 1
            when epoch(event_at) - epoch(lag(event_at) over visitor) > 1800 then 1
            when utm_source is not null
                and (utm_source, utm_medium, utm_campaign)
                is distinct from (
                    lag(utm_source) over visitor,
                    lag(utm_medium) over visitor,
                    lag(utm_campaign) over visitor
                ) then 1
            else 0
        end as is_new_session
    from activity
    window visitor as (partition by visitor_id order by event_at, message_id)
),

numbered as (
    select
        *,
        sum(is_new_session) over (
            partition by visitor_id order by event_at, message_id rows unbounded preceding
        ) as session_number
    from cuts
)

select
    visitor_id,
    session_number,
    min(event_at) as session_start,
    max(event_at) as session_end,
    count(*) as event_count,
    count(*) filter (where message_type = 'page') as page_count,
    arg_min(page_path, event_at) filter (where message_type = 'page') as landing_page,
    arg_max(page_path, event_at) filter (where message_type = 'page') as exit_page,
    arg_min(utm_source, event_at) as utm_source,
    arg_min(utm_medium, event_at) as utm_medium,
    arg_min(utm_campaign, event_at) as utm_campaign,
    coalesce(sum(try_cast(properties ->> 'revenue' as double))
        filter (where event_name = 'Order Completed'), 0) as revenue
from numbered
group by visitor_id, session_number
