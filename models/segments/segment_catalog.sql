{#- Every saved segment: its registry metadata, current size, the change at the last refresh,
    and health warnings (empty, too small to decide on). Metadata comes from the generated
    segment models' meta (segments/*.yml via `segmart compile`). -#}
{%- set segments = segmart.registered_segments() %}

with

definitions as (
    {%- for segment in segments %}
    {%- set meta = segmart.segment_meta(segment.model) %}
    select
        '{{ segment.name }}' as segment_name,
        {{ segmart.sql_string(meta.get('title', '')) }} as title,
        {{ segmart.sql_string(meta.get('owner', '')) }} as owner,
        {{ segmart.sql_string(meta.get('use_case', '')) }} as use_case,
        {{ segmart.sql_string(meta.get('visibility', '')) }} as visibility,
        '{{ segment.grain }}' as grain,
        {{ segmart.sql_string(meta.get('refresh', '')) }} as refresh,
        {{ segmart.sql_string(meta.get('segment_tags', []) | join(', ')) }} as tags,
        {{ segmart.sql_string(meta.get('references', []) | join(', ')) }} as referenced_segments,
        {{ segmart.sql_string(meta.get('registry_file', '')) }} as registry_file,
        {{ segment.min_members }} as min_members
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not segments %}
    select
        cast(null as varchar) as segment_name,
        cast(null as varchar) as title,
        cast(null as varchar) as owner,
        cast(null as varchar) as use_case,
        cast(null as varchar) as visibility,
        cast(null as varchar) as grain,
        cast(null as varchar) as refresh,
        cast(null as varchar) as tags,
        cast(null as varchar) as referenced_segments,
        cast(null as varchar) as registry_file,
        cast(null as integer) as min_members
    where false
    {%- endif %}
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
    where recorded_at = (
        select max(latest.recorded_at) from {{ ref('segment_membership_changes') }} as latest
    )
    group by segment_name
),

final as (
    select
        definitions.segment_name,
        definitions.title,
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
        case
            when coalesce(sizes.members, 0) = 0 then 'empty'
            when sizes.members < definitions.min_members then 'too_small'
        end as health_warning
    from definitions
    left join sizes on definitions.segment_name = sizes.segment_name
    left join last_changes on definitions.segment_name = last_changes.segment_name
)

select * from final
