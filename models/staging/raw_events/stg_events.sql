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
-- Files by number (stg_raw_file_numbers): the dedupe carries this small key, not each row's path.
file_numbers as (
    select
        source_file,
        file_number
    from {{ ref('stg_raw_file_numbers') }}
),

clean_rows as (
    select
        landed.message_id,
        landed.received_at,
        file_numbers.file_number,
        landed.source_line,
        landed._load_sequence
    from {{ ref('stg_events_landed') }} as landed
    inner join file_numbers on landed.source_file = file_numbers.source_file
    where landed.reject_reason is null
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
-- changed one), so its path (here its number) and line name one landed row.
kept_copies as (
    select
        ranked.file_number,
        ranked.source_line
    from (
        select
            file_number,
            source_line,
            row_number() over (
                partition by message_id
                order by received_at asc nulls last, file_number asc, source_line asc
            ) as copy_rank
        from candidates
    ) as ranked
    where ranked.copy_rank = 1
),

kept as (
    select landed.*
    from {{ ref('stg_events_landed') }} as landed
    inner join file_numbers on landed.source_file = file_numbers.source_file
    inner join kept_copies
        on
            file_numbers.file_number = kept_copies.file_number
            and landed.source_line = kept_copies.source_line
),

final as (
    select
        message_id,
        message_type,
        anonymous_id,
        user_id,
        group_id,
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
