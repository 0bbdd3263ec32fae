{#- Raw files segmart does not read: the newest version of each file in the ledger that cannot be
    read, or that changed after it was loaded. A view of the ledger (STATE), so a full refresh
    keeps it. A file leaves quarantine when a readable version of it arrives. -#}
{{ config(materialized='view') }}

with

newest as (
    {{ segmart.newest_raw_file_versions(ref('stg_raw_file_ledger')) }}
),

final as (
    select
        source_file,
        file_size,
        modified_at,
        status,
        error,
        first_seen_at
    from newest
    where status in ('quarantined', 'changed')
)

select * from final
