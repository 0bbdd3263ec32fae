{#- Each raw file that landed rows, numbered in path order: stg_events deduplicates on this small
    key instead of each row's path (at 100M events the paths alone ran its window out of memory).
    A table, so the engine knows how few files there are: inlined in stg_events, DuckDB estimated
    the distinct paths as all landed rows and built a hash table on every landed row instead
    (docs/benchmarks.md, 100M run 3). -#}
{{ config(materialized='table') }}

select
    files.source_file,
    row_number() over (order by files.source_file) as file_number
from (select distinct landed.source_file from {{ ref('stg_events_landed') }} as landed) as files
