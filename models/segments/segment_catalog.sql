{#- Every saved segment: its registry definition, current size, the change at the last refresh,
    and health warnings (empty, a filter value that never occurs in the data, too small to
    decide on). Definitions come from the generated
    segment_definitions model (segments/*.yml via `segmart compile`). -#}

with

definitions as (
    select * from {{ ref('segment_definitions') }}
),

sizes as (
    select
        segment_name,
        count(*) as members,
        max(refreshed_at) as last_refreshed_at
    from {{ ref('segment_members_current') }}
    group by segment_name
),

last_changes as (
    select
        segment_name,
        count(case when change = 'entered' then 1 end) as entered_at_last_refresh,
        count(case when change = 'exited' then 1 end) as exited_at_last_refresh
    from {{ ref('segment_membership_changes') }}
    -- This refresh (catalog and changes are built in one dbt invocation): a refresh that
    -- changed nothing reports zero, not the previous refresh's changes.
    where recorded_at = {{ segmart.run_started() }}
    group by segment_name
),

unseen_values as (
    select
        segment_name,
        {{ dbt.listagg(
            "column_name || ' = ' || filter_value",
            "', '",
            "order by column_name, filter_value"
        ) }} as unseen_filter_values
    from {{ ref('segment_filter_values') }}
    where not occurs_in_data
    group by segment_name
),

unmatched_lists as (
    select
        segment_name,
        count(*) as unmatched_list_rows
    from {{ ref('segment_list_unmatched') }}
    group by segment_name
),

final as (
    select
        definitions.segment_name,
        definitions.title,
        definitions.description,
        definitions.owner,
        definitions.use_case,
        definitions.visibility,
        definitions.grain,
        definitions.refresh,
        definitions.tags,
        definitions.referenced_segments,
        definitions.registry_file,
        coalesce(sizes.members, 0) as members,
        coalesce(last_changes.entered_at_last_refresh, 0)
        - coalesce(last_changes.exited_at_last_refresh, 0) as size_change,
        coalesce(last_changes.entered_at_last_refresh, 0) as entered_at_last_refresh,
        coalesce(last_changes.exited_at_last_refresh, 0) as exited_at_last_refresh,
        sizes.last_refreshed_at,
        definitions.min_members,
        unseen_values.unseen_filter_values,
        coalesce(unmatched_lists.unmatched_list_rows, 0) as unmatched_list_rows,
        -- The most pressing warning; the columns above give the details.
        case
            when coalesce(sizes.members, 0) = 0 then 'empty'
            when unseen_values.unseen_filter_values is not null then 'unseen_filter_value'
            when sizes.members < definitions.min_members then 'too_small'
        end as health_warning
    from definitions
    left join sizes on definitions.segment_name = sizes.segment_name
    left join last_changes on definitions.segment_name = last_changes.segment_name
    left join unseen_values on definitions.segment_name = unseen_values.segment_name
    left join unmatched_lists on definitions.segment_name = unmatched_lists.segment_name
)

select * from final
