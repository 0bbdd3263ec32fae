{#- Each segment's size after every refresh that changed it, from the membership history (so
    past refreshes are there too, and a full refresh rewrites nothing of them). A refresh that
    changed nothing adds no row: the size held. Sizes on any date: the latest row at or before
    it. -#}
with

refresh_changes as (
    select
        segment_name,
        recorded_at,
        -- One reference time per refresh (its as_of).
        max(changed_at) as changed_at,
        count(case when change = 'entered' then 1 end) as entered,
        count(case when change = 'exited' then 1 end) as exited
    from {{ ref('segment_membership_changes') }}
    group by segment_name, recorded_at
),

final as (
    select
        segment_name,
        recorded_at,
        changed_at,
        entered,
        exited,
        sum(entered - exited) over (
            partition by segment_name
            order by recorded_at
            rows between unbounded preceding and current row
        ) as members
    from refresh_changes
)

select * from final
