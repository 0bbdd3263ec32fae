-- Nothing is lost between a raw event table and the warehouse (SEGMART_SOURCE json_table or
-- segment_warehouse, docs/sources.md): each table has exactly as many landed rows as it holds
-- rows written up to the last one landed from it. Returns a row per table that disagrees: rows
-- its loader wrote later with an earlier load time (a full refresh lands them), or rows without
-- a load time (never landed). Files are checked by assert_raw_files_reconcile.
{%- set tables = segmart.raw_source_tables() if segmart.raw_source() != 'files' else [] %}

with

landed as (
    select
        source_file,
        max(source_loaded_at) as loaded_until,
        count(*) as landed_rows
    from {{ ref('stg_events_landed') }}
    where source_loaded_at is not null
    group by source_file
),

source_rows as (
    {%- for table in tables %}
    select
        {{ segmart.sql_string(table.name) }} as source_file,
        count(case when {{ table.loaded_at }} <= landed.loaded_until then 1 end) as written_rows,
        count(case when {{ table.loaded_at }} is null then 1 end) as rows_without_load_time
    from {{ table.relation }} as source_row
    left join landed on landed.source_file = {{ segmart.sql_string(table.name) }}
    {%- if table.where %}
    where {{ table.where }}
    {%- endif %}
    union all
    {%- endfor %}
    {{ segmart.empty_rows({
        'source_file': dbt.type_string(), 'written_rows': 'bigint',
        'rows_without_load_time': 'bigint',
    }) }}
),

final as (
    select
        source_rows.source_file,
        source_rows.written_rows,
        coalesce(landed.landed_rows, 0) as landed_rows,
        source_rows.rows_without_load_time
    from source_rows
    left join landed on source_rows.source_file = landed.source_file
    where
        source_rows.written_rows <> coalesce(landed.landed_rows, 0)
        or source_rows.rows_without_load_time > 0
)

select * from final
