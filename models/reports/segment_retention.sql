{#- Per segment, weekly signup cohorts (the week of users.signup_at in the project's time zone;
    weeks start on Monday) by weeks since signup: how many of the cohort were active (had any
    session) in each week. The segment's visitors are a user-grain segment's members, the
    visitors of a session-grain segment's member sessions, or an account-grain segment's member
    accounts' users; their activity is every session they had. Visitors without a signup are in no cohort. Weeks run up to the latest week with any
    session in the data. -#}
with

segment_visitors as (
    {{ segmart.member_visitors() }}
),

cohorts as (
    select
        visitor_id,
        {{ segmart.week_start(segmart.local_time('signup_at')) }} as cohort_week
    from {{ ref('users') }}
    where signup_at is not null
),

activity_weeks as (
    select distinct
        visitor_id,
        {{ segmart.week_start(segmart.local_time('session_start')) }} as activity_week
    from {{ ref('sessions') }}
),

data_weeks as (
    select distinct activity_week from activity_weeks
),

segment_cohorts as (
    select
        segment_visitors.segment_name,
        segment_visitors.grain,
        segment_visitors.visitor_id,
        cohorts.cohort_week
    from segment_visitors
    inner join cohorts on segment_visitors.visitor_id = cohorts.visitor_id
),

cohort_sizes as (
    select
        segment_name,
        grain,
        cohort_week,
        count(*) as cohort_users
    from segment_cohorts
    group by segment_name, grain, cohort_week
),

active_users as (
    select
        segment_cohorts.segment_name,
        segment_cohorts.cohort_week,
        activity_weeks.activity_week,
        count(*) as active_users
    from segment_cohorts
    inner join activity_weeks
        on
            segment_cohorts.visitor_id = activity_weeks.visitor_id
            and segment_cohorts.cohort_week <= activity_weeks.activity_week
    group by segment_cohorts.segment_name, segment_cohorts.cohort_week, activity_weeks.activity_week
),

cohort_weeks as (
    -- Every week from the cohort's first to the data's last, so weeks nobody came back show 0.
    select
        cohort_sizes.segment_name,
        cohort_sizes.grain,
        cohort_sizes.cohort_week,
        cohort_sizes.cohort_users,
        data_weeks.activity_week
    from cohort_sizes
    inner join data_weeks on cohort_sizes.cohort_week <= data_weeks.activity_week
),

final as (
    select
        cohort_weeks.segment_name,
        cohort_weeks.grain,
        cohort_weeks.cohort_week,
        cast(
            {{ dbt.datediff('cohort_weeks.cohort_week', 'cohort_weeks.activity_week', 'week') }}
            as integer
        ) as weeks_since_signup,
        cohort_weeks.activity_week,
        cohort_weeks.cohort_users,
        coalesce(active_users.active_users, 0) as active_users,
        {{ segmart.ratio('coalesce(active_users.active_users, 0)', 'cohort_weeks.cohort_users') }}
            as retention_rate
    from cohort_weeks
    left join active_users
        on
            cohort_weeks.segment_name = active_users.segment_name
            and cohort_weeks.cohort_week = active_users.cohort_week
            and cohort_weeks.activity_week = active_users.activity_week
)

select * from final
