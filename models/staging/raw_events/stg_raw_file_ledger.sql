{#- STATE: every version of every raw event file segmart has seen (a path with a size and a
    modification time), what it held and what segmart did with it. A full refresh never rebuilds
    it (full_refresh=false): it is the record of what was loaded, which the files themselves
    cannot reproduce once they change. docs/rules.md "Raw files". A column a later segmart adds
    is appended (null for the versions seen before it). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy=segmart.incremental_strategy('append'),
        full_refresh=false,
        on_schema_change='append_new_columns',
    )
}}
-- depends_on: {{ source('raw_events', 'files') }}

with

inspected as (
    {{ segmart.new_raw_file_inspections(
        var('segmart_events'), this if is_incremental() else none
    ) }}
),

renamed as (
    select
        source_file,
        file_size,
        modified_at,
        content_hash,
        physical_lines,
        blank_lines,
        read_error,
        bad_lines
    from inspected
),

-- The version of each file that was loaded, if any (none on the first build).
loaded as (
    select
        source_file,
        file_size,
        content_hash
    from {{ this if is_incremental() else 'renamed' }}
    where {{ "status = 'loaded'" if is_incremental() else 'false' }}
),

judged as (
    select
        renamed.source_file,
        renamed.file_size,
        renamed.modified_at,
        renamed.content_hash,
        renamed.physical_lines,
        renamed.blank_lines,
        renamed.bad_lines,
        -- loaded: read now; unchanged: touched, same content as loaded; changed: refused, its
        -- loaded rows stay; quarantined: cannot be read (read again when it changes).
        case
            when loaded.source_file is not null and loaded.content_hash = renamed.content_hash
                then 'unchanged'
            when loaded.source_file is not null then 'changed'
            when renamed.read_error is not null then 'quarantined'
            else 'loaded'
        end as status,
        case
            when loaded.source_file is null then renamed.read_error
            when loaded.content_hash = renamed.content_hash then null
            else {{ segmart.changed_file_error('loaded.file_size', 'renamed.file_size') }}
        end as error
    from renamed
    left join loaded on renamed.source_file = loaded.source_file
),

final as (
    select
        source_file,
        file_size,
        modified_at,
        content_hash,
        physical_lines,
        blank_lines,
        bad_lines,
        status,
        error,
        {{ segmart.current_utc_timestamp() }} as first_seen_at
    from judged
)

select * from final
