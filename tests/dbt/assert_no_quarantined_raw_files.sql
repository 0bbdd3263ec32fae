-- A warning, not an error: a quarantined raw file must be looked at, but it never stops the
-- other files from loading (docs/rules.md, "Raw files"). One row per quarantined file, naming it
-- and its error; in Dagster, a failed check on stg_raw_files_quarantined.
{{ config(severity='warn') }}

select
    source_file,
    status,
    error
from {{ ref('stg_raw_files_quarantined') }}
