-- Nothing is lost between a file and the warehouse: each landed file has exactly as many landed
-- rows as the ledger counted non-blank lines (Parquet: rows) in it when it was loaded, read
-- independently of the reader. Returns a row per file that disagrees (a file the reader read only
-- in part, or that changed between its inspection and its reading); engines that do not inspect
-- files (no line count) are not checked.
with

loaded as (
    select
        source_file,
        physical_lines - blank_lines as expected_rows
    from {{ ref('stg_raw_file_ledger') }}
    where status = 'loaded' and physical_lines is not null
),

landed as (
    select
        source_file,
        count(*) as landed_rows
    from {{ ref('stg_events_landed') }}
    group by source_file
),

final as (
    select
        loaded.source_file,
        loaded.expected_rows,
        coalesce(landed.landed_rows, 0) as landed_rows
    from loaded
    left join landed on loaded.source_file = landed.source_file
    where loaded.source_file in ({{ segmart.landable_raw_files(ref('stg_raw_file_ledger')) }})
        and loaded.expected_rows <> coalesce(landed.landed_rows, 0)
)

select * from final
