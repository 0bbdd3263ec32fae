{#- Every raw row ever delivered, parsed and typed, with the reason it is rejected (null when it
    is clean). The one place raw files (or raw event tables: SEGMART_SOURCE) are read: each row is
    parsed once, when it first arrives. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy=segmart.incremental_strategy('append'),
        on_schema_change='fail',
    )
}}
-- depends_on: {{ source('raw_events', 'files') }}
-- depends_on: {{ ref('stg_raw_file_ledger') }}
{#- Reading raw rows and JSON access differ per engine: macros/ingest, macros/engine. -#}
{%- set properties = segmart.message_field('properties', json=true) %}
{#- Ids may be strings or numbers (read as text, as Segment does), never these kinds. -#}
{%- set non_id_kinds = "('object', 'array', 'boolean')" %}
{#- properties, traits and context must be objects (or absent). -#}
{%- set non_object_kinds = "('string', 'number', 'boolean', 'array')" %}
{#- Event and receipt times must lie within these (vars earliest/latest_event_time). -#}
{%- set earliest_time, latest_time = segmart.event_time_limits() %}
{#- The landing run: 1 for the first, one more than the last for each later run. -#}
{%- set load_sequence = (
    '(select coalesce(max(landed._load_sequence), 0) + 1 from ' ~ this ~ ' as landed)'
    if is_incremental() else '1'
) %}

with

raw_messages as (
    {{ segmart.landed_raw_messages(this if is_incremental() else none) }}
),

parsed as (
    select
        source_file,
        source_line,
        source_loaded_at,
        raw_message,
        read_error,
        -- The message when the line is a JSON object, else null (rejected as invalid_json).
        {{ segmart.parse_message('raw_message') }} as message
    from raw_messages
),

-- The people who asked to be forgotten (segmart forget): their rows keep nothing of the
-- message, not even as a reject, on every load and every full refresh (docs/security.md).
suppressed as (
    select distinct
        identity_kind,
        identity_value
    from {{ ref('suppressed_identities') }}
),

identified as (
    select
        *,
        {{ segmart.clean_text(segmart.message_field('userId')) }} as message_user_id,
        {{ segmart.clean_text(segmart.message_field('anonymousId')) }} as message_anonymous_id,
        lower({{ segmart.clean_text(segmart.json_text(
            segmart.message_field('traits', json=true), '$.email'
        )) }}) as message_email
    from parsed
),

screened as (
    select
        identified.source_file,
        identified.source_line,
        identified.source_loaded_at,
        identified.raw_message,
        identified.read_error,
        identified.message,
        identified.message_user_id,
        identified.message_anonymous_id,
        coalesce(
            suppressed_users.identity_value,
            suppressed_visitors.identity_value,
            suppressed_emails.identity_value
        ) is not null as is_suppressed
    from identified
    left join suppressed as suppressed_users
        on
            suppressed_users.identity_kind = 'user_id'
            and identified.message_user_id = suppressed_users.identity_value
    left join suppressed as suppressed_visitors
        on
            suppressed_visitors.identity_kind = 'anonymous_id'
            and identified.message_anonymous_id = suppressed_visitors.identity_value
    left join suppressed as suppressed_emails
        on
            suppressed_emails.identity_kind = 'email'
            and identified.message_email = suppressed_emails.identity_value
),

forgotten as (
    select
        source_file,
        source_line,
        source_loaded_at,
        case when not is_suppressed then raw_message end as raw_message,
        case when not is_suppressed then read_error end as read_error,
        case when not is_suppressed then message end as message,
        case when not is_suppressed then message_user_id end as message_user_id,
        case when not is_suppressed then message_anonymous_id end as message_anonymous_id,
        is_suppressed
    from screened
),

renamed as (
    select
        source_file,
        source_line,
        source_loaded_at,
        raw_message,
        is_suppressed,
        -- invalid_utf8 or line_too_long: a line the reader could not read (raw_event_files.sql).
        read_error,
        message is null as is_not_json_object,
        -- JSON kinds of the fields a rule checks ('string', 'number', ...; null when absent).
        {{ segmart.message_field_kind('messageId') }} as message_id_kind,
        {{ segmart.message_field_kind('userId') }} as user_id_kind,
        {{ segmart.message_field_kind('anonymousId') }} as anonymous_id_kind,
        {{ segmart.message_field_kind('groupId') }} as group_id_kind,
        {{ segmart.message_field_kind('event') }} as event_kind,
        {{ segmart.message_field_kind('properties') }} as properties_kind,
        {{ segmart.message_field_kind('traits') }} as traits_kind,
        {{ segmart.message_field_kind('context') }} as context_kind,
        {{ segmart.clean_text(segmart.message_field('messageId')) }} as message_id,
        lower({{ segmart.clean_text(segmart.message_field('type')) }}) as message_type,
        message_anonymous_id as anonymous_id,
        message_user_id as user_id,
        {{ segmart.clean_text(segmart.message_field('groupId')) }} as group_id,
        {{ segmart.message_field('event') }} as event_text,
        {{ segmart.clean_text(segmart.message_field('name')) }} as page_name,
        {{ segmart.message_field('properties', json=true) }} as properties,
        {{ segmart.message_field('traits', json=true) }} as traits,
        {{ segmart.clean_text(segmart.message_field('timestamp')) }} as timestamp_text,
        {{ segmart.clean_text(segmart.message_field('originalTimestamp')) }} as original_timestamp_text,
        {{ segmart.clean_text(segmart.message_field('sentAt')) }} as sent_at_text,
        {{ segmart.clean_text(segmart.message_field('receivedAt')) }} as received_at_text,
        coalesce(
            {{ segmart.clean_text(segmart.json_text(properties, '$.path')) }},
            {{ segmart.clean_text(segmart.message_field('context.page.path')) }}
        ) as page_path,
        coalesce(
            {{ segmart.clean_text(segmart.json_text(properties, '$.url')) }},
            {{ segmart.clean_text(segmart.message_field('context.page.url')) }}
        ) as page_url,
        coalesce(
            {{ segmart.clean_text(segmart.json_text(properties, '$.referrer')) }},
            {{ segmart.clean_text(segmart.message_field('context.page.referrer')) }}
        ) as page_referrer,
        coalesce(
            {{ segmart.clean_text(segmart.json_text(properties, '$.title')) }},
            {{ segmart.clean_text(segmart.message_field('context.page.title')) }}
        ) as page_title,
        {{ segmart.clean_text(segmart.message_field('context.page.search')) }} as page_search,
        {{ segmart.clean_text(segmart.message_field('context.campaign.source')) }} as utm_source,
        {{ segmart.clean_text(segmart.message_field('context.campaign.medium')) }} as utm_medium,
        {{ segmart.clean_text(segmart.message_field('context.campaign.name')) }} as utm_campaign,
        {{ segmart.clean_text(segmart.message_field('context.campaign.term')) }} as utm_term,
        {{ segmart.clean_text(segmart.message_field('context.campaign.content')) }} as utm_content,
        lower({{ segmart.clean_text(segmart.message_field('context.device.type')) }}) as device_type,
        {{ segmart.clean_text(segmart.message_field('context.os.name')) }} as os_name,
        {{ segmart.clean_text(segmart.message_field('context.userAgent')) }} as user_agent,
        upper({{ segmart.clean_text(segmart.message_field('context.location.country')) }}) as country,
        {{ segmart.clean_text(segmart.message_field('context.locale')) }} as locale,
        {{ segmart.clean_text(segmart.message_field('context.library.name')) }} as library_name,
        {{ segmart.clean_text(segmart.message_field('context.library.version')) }} as library_version
    from forgotten
),

timed as (
    select
        *,
        {{ segmart.parse_timestamp('timestamp_text') }} as timestamp_at,
        {{ segmart.parse_timestamp('original_timestamp_text') }} as original_timestamp_at,
        {{ segmart.parse_timestamp('sent_at_text') }} as sent_at,
        {{ segmart.parse_timestamp('received_at_text') }} as received_at
    from renamed
),

event_timed as (
    select
        *,
        -- Event time: the library's timestamp; else correct the device clock by the delay the
        -- server saw (receivedAt - (sentAt - originalTimestamp)); else the device or server time.
        -- Corrected only from a receipt time in range and a delay of at most
        -- max_send_delay_seconds: a longer one is a clock that jumped, and subtracting it can
        -- leave an engine's timestamp range (PostgreSQL fails the query, not the row).
        coalesce(
            timestamp_at,
            case
                when received_at between {{ earliest_time }} and {{ latest_time }}
                    and abs({{ segmart.seconds_between('original_timestamp_at', 'sent_at') }})
                    <= {{ var('max_send_delay_seconds') }}
                    then {{ segmart.minus_elapsed('received_at', 'original_timestamp_at', 'sent_at') }}
            end,
            original_timestamp_at,
            received_at
        ) as event_at,
        (timestamp_text is not null and timestamp_at is null)
        or (original_timestamp_text is not null and original_timestamp_at is null)
        or (sent_at_text is not null and sent_at is null)
        or (received_at_text is not null and received_at is null) as has_unparseable_time
    from timed
),

judged as (
    select
        *,
        -- The first rule a row breaks, in this order (docs/rules.md).
        case
            when is_suppressed then 'suppressed'
            when read_error is not null then read_error
            when is_not_json_object then 'invalid_json'
            when message_id_kind in {{ non_id_kinds }} then 'invalid_message_id'
            when message_id is null then 'missing_message_id'
            when message_type is null
                or message_type not in ('track', 'page', 'screen', 'identify', 'group', 'alias')
                then 'unknown_type'
            when user_id_kind in {{ non_id_kinds }} then 'invalid_user_id'
            when anonymous_id_kind in {{ non_id_kinds }} then 'invalid_anonymous_id'
            when anonymous_id is null and user_id is null then 'missing_identity'
            when message_type = 'group' and group_id_kind in {{ non_id_kinds }} then 'invalid_group_id'
            when message_type = 'group' and group_id is null then 'missing_group_id'
            when event_kind != 'string' then 'invalid_event_name'
            -- Blank, whitespace-only (tabs, newlines too) or nothing left to name it by.
            when message_type = 'track' and {{ segmart.normalize_event_name('event_text') }} is null
                then 'blank_event_name'
            when properties_kind in {{ non_object_kinds }} then 'invalid_properties'
            when traits_kind in {{ non_object_kinds }} then 'invalid_traits'
            when context_kind in {{ non_object_kinds }} then 'invalid_context'
            when has_unparseable_time then 'unparseable_time'
            when event_at is null then 'missing_time'
            when event_at < {{ earliest_time }} or event_at > {{ latest_time }}
                or received_at < {{ earliest_time }} or received_at > {{ latest_time }}
                then 'time_out_of_range'
            when {{ segmart.seconds_between('received_at', 'event_at') }}
                > {{ var('max_event_ahead_of_receipt_seconds') }}
                then 'event_time_after_receipt'
        end as reject_reason
    from event_timed
),

final as (
    select
        source_file,
        source_line,
        -- A raw event table's row: when its loader wrote it (null for files).
        source_loaded_at,
        -- The raw message is kept only where someone must look at it: on rejected rows.
        case when reject_reason is not null then raw_message end as raw_message,
        reject_reason,
        -- An id of another kind is no id (engines write an object's JSON text differently);
        -- the raw message keeps it.
        case when message_id_kind in {{ non_id_kinds }} then null else message_id end as message_id,
        message_type,
        case when anonymous_id_kind in {{ non_id_kinds }} then null else anonymous_id end as anonymous_id,
        case when user_id_kind in {{ non_id_kinds }} then null else user_id end as user_id,
        -- The account a group call puts its user in (Segment's groupId); null on other calls.
        case when message_type = 'group' and reject_reason is null then group_id end as group_id,
        case
            when message_type = 'track' then {{ segmart.normalize_event_name('event_text') }}
            else message_type
        end as event_name,
        case
            when message_type = 'track' then event_text
            else page_name
        end as event_name_original,
        page_name,
        -- Likewise a bag that is no object (Spark would give a JSON string unquoted).
        case when properties_kind in {{ non_object_kinds }} then null else properties end as properties,
        case when traits_kind in {{ non_object_kinds }} then null else traits end as traits,
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
        -- Later models select new rows by landing run, whatever the clock says (a clock set
        -- back would hide every row stamped before it caught up again).
        {{ load_sequence }} as _load_sequence,
        {{ segmart.current_utc_timestamp() }} as _loaded_at
    from judged
)

select * from final
