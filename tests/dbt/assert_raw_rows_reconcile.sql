-- Nothing is dropped silently: every landed raw row is a clean event, a rejected row or a
-- duplicate copy set aside. Returns a row (a failure) when the counts disagree.
with

counts as (
    select
        (select count(*) from {{ ref('stg_events_landed') }}) as raw_rows,
        (select count(*) from {{ ref('stg_events') }}) as clean_events,
        (select count(*) from {{ ref('stg_events_rejected') }}) as rejected_rows,
        (select count(*) from {{ ref('stg_events_duplicates') }}) as duplicate_rows
)

select * from counts
where raw_rows <> clean_events + rejected_rows + duplicate_rows
