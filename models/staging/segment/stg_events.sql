{#- Clean events: rows that passed every rule, one per message_id (the earliest received copy). -#}
{{
    config(
        materialized=segmart.keyed_refresh_materialization(),
        incremental_strategy=segmart.incremental_strategy('delete+insert'),
        unique_key='message_id',
        on_schema_change='fail',
    )
}}

with

-- Deduplicated on narrow columns, then the wide columns of each kept copy are read once, by a
-- join: a window over the wide rows (or a wide CTE read twice) held them all in memory and ran
-- out of it at 10M events under a 4GB limit.
clean_rows as (
    select
        message_id,
        received_at,
        source_file,
        source_line,
        _load_sequence
    from {{ ref('stg_events_landed') }}
    where reject_reason is null
),

{% if is_incremental() %}
-- Only messages landed since the last run (by landing run, not by clock), with every copy of
-- them loaded before, so a duplicate that arrives later but was received earlier still replaces
-- the kept copy.
new_message_ids as (
    select distinct message_id from clean_rows
    where _load_sequence > (select max(previous._load_sequence) from {{ this }} as previous)
),

{% endif %}
candidates as (
    select * from clean_rows
    {%- if is_incremental() %}
    where message_id in (select new_message_ids.message_id from new_message_ids)
    {%- endif %}
),

-- The earliest received copy of each message. A raw file is read once (the ledger refuses a
-- changed one), so its path and line name one landed row.
kept_copies as (
    select
        ranked.source_file,
        ranked.source_line
    from (
        select
            source_file,
            source_line,
            row_number() over (
                partition by message_id
                order by received_at asc nulls last, source_file asc, source_line asc
            ) as copy_rank
        from candidates
    ) as ranked
    where ranked.copy_rank = 1
),

kept as (
    select landed.*
    from {{ ref('stg_events_landed') }} as landed
    inner join kept_copies
        on
            landed.source_file = kept_copies.source_file
            and landed.source_line = kept_copies.source_line
),

final as (
    select
        message_id,
        message_type,
        anonymous_id,
        user_id,
        event_name,
        event_name_original,
        page_name,
        properties,
        traits,
        event_at,
        timestamp_at,
        original_timestamp_at,
        sent_at,
        received_at,
        page_path,
        page_url,
        page_referrer,
        page_title,
        page_search,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        device_type,
        os_name,
        user_agent,
        country,
        locale,
        library_name,
        library_version,
        source_file,
        source_line,
        _load_sequence,
        _loaded_at
    from kept
)

select * from final
