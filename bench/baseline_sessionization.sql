-- The baseline segmart's full build is measured against: one hand-written DuckDB query that
-- reads the same raw files, parses them, and cuts sessions on 30-minute inactivity per
-- anonymous id. No rejects, deduplication, identity stitching, campaign cuts or marts.
-- {files} is replaced by the benchmark with a DuckDB list of file paths.
create or replace table baseline_sessions as
with

events as (
    select
        message.anonymousid as anonymous_id,
        coalesce(
            try_cast(message.timestamp as timestamptz),
            try_cast(message.receivedat as timestamptz)
        ) as event_at
    from (
        -- CASE, not only the WHERE below: DuckDB may run the projection before the filter, and
        -- a truncated line must not fail the whole query.
        select
            case when json_valid(raw_line) then json_transform(
                raw_line,
                '{{"anonymousId": "VARCHAR", "type": "VARCHAR", "timestamp": "VARCHAR", "receivedAt": "VARCHAR"}}'
            ) end as message
        from read_csv(
            {files},
            columns = {{'raw_line': 'VARCHAR'}},
            delim = chr(1), quote = '', escape = '', header = false, auto_detect = false
        )
        where json_valid(raw_line)
    ) as parsed
    where message.type in ('page', 'screen', 'track') and message.anonymousid is not null
),

gaps as (
    select
        anonymous_id,
        event_at,
        case
            when epoch(event_at) - epoch(lag(event_at) over visitor) <= 1800 then 0 else 1
        end as is_new_session
    from events
    window visitor as (partition by anonymous_id order by event_at)
),

numbered as (
    select
        anonymous_id,
        event_at,
        sum(is_new_session) over (
            partition by anonymous_id order by event_at rows unbounded preceding
        ) as session_number
    from gaps
)

select
    anonymous_id,
    session_number,
    min(event_at) as session_start,
    max(event_at) as session_end,
    count(*) as event_count
from numbered
group by anonymous_id, session_number
