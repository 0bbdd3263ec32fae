{#- Per segment and day (of session start, in the project's time zone): traffic, conversion,
    revenue and friction of the segment's sessions (segment_member_sessions). -#}
with

segment_sessions as (
    select
        member_sessions.segment_name,
        member_sessions.grain,
        {{ segmart.local_date('sessions.session_start') }} as metric_date,
        sessions.session_id,
        sessions.visitor_id,
        sessions.order_count,
        sessions.revenue,
        sessions.rage_click_count,
        sessions.dead_click_count,
        sessions.js_error_count,
        sessions.quick_back_count
    from {{ ref('segment_member_sessions') }} as member_sessions
    inner join {{ ref('sessions') }} as sessions
        on member_sessions.session_id = sessions.session_id
),

daily as (
    select
        segment_name,
        grain,
        metric_date,
        count(*) as sessions,
        count(distinct visitor_id) as visitors,
        count(case when order_count > 0 then 1 end) as converted_sessions,
        cast(sum(order_count) as {{ dbt.type_bigint() }}) as orders,
        sum(revenue) as revenue,
        count(case when rage_click_count > 0 then 1 end) as rage_click_sessions,
        count(case when dead_click_count > 0 then 1 end) as dead_click_sessions,
        count(case when js_error_count > 0 then 1 end) as js_error_sessions,
        count(case when quick_back_count > 0 then 1 end) as quick_back_sessions
    from segment_sessions
    group by segment_name, grain, metric_date
),

final as (
    select
        segment_name,
        grain,
        metric_date,
        sessions,
        visitors,
        converted_sessions,
        {{ segmart.ratio('converted_sessions', 'sessions') }} as conversion_rate,
        orders,
        revenue,
        {{ segmart.ratio('revenue', 'sessions') }} as revenue_per_session,
        rage_click_sessions,
        {{ segmart.ratio('rage_click_sessions', 'sessions') }} as rage_click_rate,
        dead_click_sessions,
        {{ segmart.ratio('dead_click_sessions', 'sessions') }} as dead_click_rate,
        js_error_sessions,
        {{ segmart.ratio('js_error_sessions', 'sessions') }} as js_error_rate,
        quick_back_sessions,
        {{ segmart.ratio('quick_back_sessions', 'sessions') }} as quick_back_rate
    from daily
)

select * from final
