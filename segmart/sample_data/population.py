"""Stage 1: the tables of visitors, sessions and events (the events one narrow: it is the big
one). Every random choice is a seeded hash of the row key, so the tables are deterministic."""

from __future__ import annotations

from segmart.sample_data.config import (
    DAY_MS,
    DUPLICATE_FAULTS,
    FAULT_SHARES,
    HOUR_MS,
    MAX_SESSIONS,
    GeneratorConfig,
    day_start_ms,
)
from segmart.sample_data.json_fragments import json_members, json_parts
from segmart.sample_data.records import VISITOR_CONTEXT, campaign_key
from segmart.sample_data.sql_blocks import (
    BLOG_SLUGS,
    COUNTRIES,
    DOC_PAGES,
    campaign_columns,
    channel_mix,
    returning_channel_mix,
    sql_list,
    weighted,
)
from segmart.sql import duckdb_string


def visitors_sql(n_visitors: int, config: GeneratorConfig) -> str:
    # range() is a single-threaded source: scanning a table of ids lets the work run in parallel
    return f"""
create or replace table visitor_ids as select range as v from range({n_visitors});
create or replace table visitors as
select
    *,
    -- the visitor's part of every event's context, as JSON members
    concat({", ".join(json_members(VISITOR_CONTEXT))}) as context_json
from ({_visitor_attributes_sql(config)})
"""


def _visitor_attributes_sql(config: GeneratorConfig) -> str:
    start_ms = day_start_ms(config.start)
    span_ms = config.days * DAY_MS
    country = weighted(
        "rnd(v, 'country')", [(str(i + 1), weight) for i, (_, _, weight) in enumerate(COUNTRIES)]
    )
    return f"""
with drawn as (
    select
        v,
        case
            when rnd(v, 'platform') < 0.80 then 'web'
            when rnd(v, 'platform') < 0.91 then 'ios'
            else 'android'
        end as platform,
        case
            when rnd(v, 'identifies') >= 0.40 then 'anonymous'
            -- logs in as the user of the previous visitor: one user, two devices
            when v > 0
                and rnd(v, 'second_device') < 0.10
                and rnd(v - 1, 'identifies') < 0.40
                and rnd(v - 1, 'second_device') >= 0.10
                then 'second_device'
            -- signs up, then someone else logs in on the same device
            when rnd(v, 'shared_device') < 0.04 then 'shared_device'
            else 'signup'
        end as identity,
        {start_ms} + floor(rnd(v, 'first_seen') * {span_ms})::bigint as first_seen_ms,
        uuid_text(seeded_hash(v, 'anonymous_id'), seeded_hash(v, 'anonymous_id_low'))
            as anonymous_id,
        ({country})::integer as country_index
    from visitor_ids
),

engaged as (
    select
        *,
        identity != 'anonymous' and rnd(v, 'power_user') < 0.12 as is_power_user,
        case when identity in ('signup', 'shared_device') then
            case when rnd(v, 'signup_k') < 0.55 then 0 else 1 + floor(rnd(v, 'signup_k_late') * 3)
            end
        end::integer as signup_k
    from drawn
),

lifecycle as (
    select
        *,
        case
            when identity = 'anonymous' then case
                when rnd(v, 'sessions') < 0.62 then 1
                when rnd(v, 'sessions') < 0.84 then 2
                when rnd(v, 'sessions') < 0.94 then 3
                else 4 + floor(rnd(v, 'sessions_tail') * 4)
            end
            when is_power_user then 10 + floor(rnd(v, 'sessions') * 12)
            else greatest(
                2 + floor(pow(rnd(v, 'sessions'), 1.5) * 10), coalesce(signup_k, 0) + 3
            )
        end::integer as n_sessions,
        -- typical time between two sessions, log-uniform; the real gap is at least half of it
        case
            when is_power_user then 8 * {HOUR_MS} * exp(rnd(v, 'gap') * ln(2.5))
            when identity = 'anonymous' then 12 * {HOUR_MS} * exp(rnd(v, 'gap') * ln(12))
            else 10 * {HOUR_MS} * exp(rnd(v, 'gap') * ln(7))
        end::bigint as gap_ms,
        case identity
            when 'second_device' then 0
            when 'anonymous' then null
            else signup_k
        end as identity_from_k,
        case when identity = 'shared_device'
            then signup_k + 1 + floor(rnd(v, 'switch_k') * 2)::integer
        end as switch_k,
        case identity when 'anonymous' then null when 'second_device' then v else v + 1 end
            as user_a,
        case when identity = 'shared_device' then 90000000 + v end as user_b,
        case when identity in ('signup', 'shared_device') then
            case
                when rnd(v, 'setup') < 0.55 then 'fast'
                when rnd(v, 'setup') < 0.75 then 'slow'
                else 'never'
            end
        end as setup_speed,
        identity in ('signup', 'shared_device') and rnd(v, 'has_group') < 0.30 as has_group,
        identity in ('signup', 'shared_device') and rnd(v, 'has_alias') < 0.12 as has_alias
    from engaged
),

devices as (
    select
        *,
        case
            when platform = 'web' and rnd(v, 'device') < 0.50 then 'desktop'
            when platform = 'web' and rnd(v, 'device') < 0.92 then 'mobile'
            when platform = 'ios' and rnd(v, 'device') < 0.85 then 'mobile'
            when platform = 'android' and rnd(v, 'device') < 0.92 then 'mobile'
            else 'tablet'
        end as device_type,
        -- analytics.js only sends a device type when a plugin adds it
        platform != 'web' or rnd(v, 'sends_device') < 0.5 as sends_device,
        118 + floor(rnd(v, 'browser_version') * 14)::integer as chrome_major,
        115 + floor(rnd(v, 'browser_version') * 17)::integer as firefox_major,
        pick(['16.6', '17.4', '17.5', '17.6', '18.0', '18.1'], rnd(v, 'ios_version'))
            as ios_version,
        10 + floor(rnd(v, 'android_version') * 5)::integer as android_major
    from lifecycle
),

systems as (
    select
        *,
        case
            when platform = 'ios' then 'iOS'
            when platform = 'android' then 'Android'
            when device_type = 'desktop' then case
                when rnd(v, 'os') < 0.62 then 'Windows'
                when rnd(v, 'os') < 0.95 then 'Mac OS X'
                else 'Linux'
            end
            when device_type = 'mobile' and rnd(v, 'os') < 0.55 then 'iOS'
            when device_type = 'tablet' and rnd(v, 'os') < 0.70 then 'iOS'
            else 'Android'
        end as os_name
    from devices
),

browsers as (
    select
        *,
        case
            when platform != 'web' then null
            when os_name = 'Windows' then case
                when rnd(v, 'browser') < 0.65 then 'Chrome'
                when rnd(v, 'browser') < 0.87 then 'Edge'
                else 'Firefox'
            end
            when os_name = 'Mac OS X' then case
                when rnd(v, 'browser') < 0.50 then 'Chrome'
                when rnd(v, 'browser') < 0.90 then 'Safari'
                else 'Firefox'
            end
            when os_name = 'Linux' then case when rnd(v, 'browser') < 0.6 then 'Chrome'
                else 'Firefox' end
            when os_name = 'iOS' then case when rnd(v, 'browser') < 0.8 then 'Safari'
                else 'Chrome' end
            else case when rnd(v, 'browser') < 0.9 then 'Chrome' else 'Firefox' end
        end as browser,
        case os_name
            when 'Windows' then 'Windows NT 10.0; Win64; x64'
            when 'Mac OS X' then 'Macintosh; Intel Mac OS X 10_15_7'
            when 'Linux' then 'X11; Linux x86_64'
            when 'iOS' then case when device_type = 'tablet' then 'iPad; CPU OS '
                else 'iPhone; CPU iPhone OS ' end || replace(ios_version, '.', '_')
                || ' like Mac OS X'
            else 'Linux; Android ' || android_major || '; K'
        end as ua_platform,
        case
            when platform = 'ios' and device_type = 'tablet' then 'iPad13,18'
            when platform = 'ios' then pick(['iPhone14,5', 'iPhone15,2', 'iPhone16,1'],
                rnd(v, 'model'))
            when platform = 'android' then pick(['Pixel 8', 'SM-S911B', '2201117TY'],
                rnd(v, 'model'))
        end as device_model
    from systems
)

select
    * exclude (country_index, ua_platform, chrome_major, firefox_major, ios_version,
        android_major),
    {sql_list([c for c, _, _ in COUNTRIES])}[country_index] as country,
    {sql_list([loc for _, loc, _ in COUNTRIES])}[country_index] as locale,
    case os_name
        when 'Windows' then '10'
        when 'Mac OS X' then '10.15.7'
        when 'iOS' then ios_version
        when 'Android' then android_major::varchar
    end as os_version,
    case
        when platform = 'ios' then 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'
        when platform = 'android' then 'Dalvik/2.1.0 (Linux; U; Android ' || android_major
            || '; ' || device_model || ' Build/AP2A.240805.005)'
        when browser = 'Edge' then 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/537.36 (KHTML, like Gecko) Chrome/' || chrome_major
            || '.0.0.0 Safari/537.36 Edg/' || chrome_major || '.0.0.0'
        when browser = 'Safari' and os_name = 'iOS' then 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/605.1.15 (KHTML, like Gecko) Version/' || ios_version
            || ' Mobile/15E148 Safari/604.1'
        when browser = 'Safari' then 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/605.1.15 (KHTML, like Gecko) Version/' || ios_version
            || ' Safari/605.1.15'
        when browser = 'Chrome' and os_name = 'iOS' then 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/' || chrome_major
            || '.0.0.0 Mobile/15E148 Safari/604.1'
        when browser = 'Firefox' and os_name = 'Android' then 'Mozilla/5.0 (Android '
            || android_major || '; Mobile; rv:' || firefox_major || '.0) Gecko/'
            || firefox_major || '.0 Firefox/' || firefox_major || '.0'
        when browser = 'Firefox' then 'Mozilla/5.0 (' || replace(ua_platform, '10_15_7', '10.15')
            || '; rv:' || firefox_major || '.0) Gecko/20100101 Firefox/' || firefox_major || '.0'
        else 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/537.36 (KHTML, like Gecko) Chrome/' || chrome_major || '.0.0.0 '
            || case when device_type = 'mobile' and os_name = 'Android' then 'Mobile ' else '' end
            || 'Safari/537.36'
    end as user_agent,
    case platform
        when 'web' then 'analytics.js'
        when 'ios' then 'analytics-ios'
        else 'analytics-android'
    end as library_name,
    case platform
        when 'web' then pick(['next-1.66.0', 'next-1.70.0', 'next-1.72.1'], rnd(v, 'library'))
        when 'ios' then pick(['4.1.7', '4.1.8'], rnd(v, 'library'))
        else pick(['4.11.2', '4.11.3'], rnd(v, 'library'))
    end as library_version,
    case when platform != 'web' then pick(['4.10.0', '4.11.2', '4.12.0'], rnd(v, 'app_version'))
        end as app_version,
    case when platform != 'web'
        then pick(['41001', '41127', '41203'], rnd(v, 'app_version')) end as app_build,
    case
        when platform = 'ios' then 'Apple'
        when device_model = 'Pixel 8' then 'Google'
        when device_model = 'SM-S911B' then 'Samsung'
        when device_model is not null then 'Xiaomi'
    end as device_manufacturer,
    case when sends_device then device_type end as device_kind,
    case when platform != 'web' then 'Example Shop' end as app_name
from browsers
"""


def sessions_sql(config: GeneratorConfig) -> str:
    end_ms = day_start_ms(config.start) + config.days * DAY_MS
    campaign, source = campaign_columns("channel", "campaign", "", "landing_referrer")
    switch_campaign, switch_source = campaign_columns(
        "switch_channel", "switch", "switch_", "switch_referrer"
    )
    return f"""
create or replace table sessions as
with slots as (
    -- only what sessions depend on: the rest of the visitor is joined in when rendering
    select
        v, platform, device_type, identity, is_power_user, first_seen_ms, gap_ms, signup_k,
        identity_from_k, switch_k, user_a, user_b, setup_speed, has_group, has_alias,
        unnest(range(least(n_sessions, {MAX_SESSIONS}))) as k
    from visitors
),

timed as (
    select
        *,
        v * {MAX_SESSIONS} + k as sid,
        first_seen_ms + k * gap_ms
            + floor(rnd(v * {MAX_SESSIONS} + k, 'session_jitter') * 0.5 * gap_ms)::bigint
            as start_ms
    from slots
),

identities as (
    select
        *,
        coalesce(k = signup_k, false) as is_signup_session,
        case
            when identity = 'second_device' and k = 0 then 'login'
            when identity = 'shared_device' and k = switch_k then 'login'
            when k = signup_k then 'signup'
            when k > identity_from_k and rnd(sid, 'reidentify') < 0.2 then 'login'
        end as identify_kind,
        -- the user known before and after this session's identify call (if any)
        case
            when identity_from_k is null or k <= identity_from_k then null
            when k > switch_k then user_b
            else user_a
        end as user_before,
        case
            when identity_from_k is null or k < identity_from_k then null
            when k >= switch_k then user_b
            else user_a
        end as user_after,
        case setup_speed
            when 'fast' then signup_k
            -- first session that surely starts more than 48 h after the sign-up
            when 'slow' then signup_k + 1 + ceil(50 * {HOUR_MS} / gap_ms)::integer
        end as setup_k,
        case when identity_from_k is not null and rnd(v, 'churns') < 0.35
            then identity_from_k + 1 + floor(rnd(v, 'churn_k') * 4)::integer
        end as churn_k
    from timed
    where start_ms < {end_ms}
),

intents as (
    select
        *,
        case
            when is_signup_session then 'signup'
            when user_after is not null
                and (churn_k is null or k <= churn_k)
                and rnd(sid, 'intent') < 0.65
                then 'app'
            when rnd(sid, 'browse_intent') < 0.6 then 'shop'
            else 'content'
        end as intent,
        case
            when platform != 'web' then case
                when rnd(sid, 'channel') < 0.85 then 'direct'
                when rnd(sid, 'channel') < 0.93 then 'email'
                else 'paid_social'
            end
            when k = 0 then {channel_mix("rnd(sid, 'channel')")}
            else {returning_channel_mix("rnd(sid, 'channel')")}
        end as channel,
        (8000 * exp(rnd(sid, 'pace') * ln(15)))::bigint as step_ms
    from identities
),

funnels as (
    select
        *,
        -- ecommerce funnel with drop-off: viewed 70%, added 32%, checkout 55%, order 62%
        case
            when intent != 'shop' or rnd(sid, 'funnel_viewed') >= 0.70 then 0
            when rnd(sid, 'funnel_added') >= 0.32 then 1
            when rnd(sid, 'funnel_checkout') >= 0.55 then 2
            when rnd(sid, 'funnel_order') >= 0.62 then 3
            else 4
        end as funnel_depth
    from intents
),

paged as (
    select
        *,
        greatest(
            case
                when rnd(sid, 'bounce') < case intent when 'app' then 0.1 when 'signup' then 0
                    else 0.32 end
                    then 1
                else 2 + least(33, floor(-ln(1 - rnd(sid, 'depth'))
                    * case intent when 'shop' then 4.5 when 'app' then 5 else 2.5 end))
            end,
            funnel_depth + 1,
            case when is_signup_session then 2 else 1 end
        )::integer as n_pages
    from funnels
),

counted as (
    select
        *,
        case when is_signup_session then 2 + has_group::integer + has_alias::integer else 0 end
            as n_signup,
        coalesce(identify_kind = 'login', false)::integer as n_login,
        coalesce(setup_k = k, false)::integer as n_setup,
        case when intent = 'app'
            then 1 + least(12, floor(rnd(sid, 'features') * n_pages * 0.8))::integer else 0
        end as n_feature,
        case
            when intent != 'app' then 0
            when is_power_user then 1 + floor(rnd(sid, 'exports') * 3)::integer
            when rnd(sid, 'exports') < 0.08 then 1
            else 0
        end as n_export,
        case
            when rnd(sid, 'friction')
                < case when device_type = 'desktop' then 0.05 else 0.10 end
                    + case when funnel_depth >= 3 then 0.15 else 0 end
                then 1 + floor(rnd(sid, 'friction_count') * 3)::integer
            else 0
        end as n_friction,
        -- a campaign change: some page in the middle is a fresh arrival from another campaign
        n_pages - funnel_depth - is_signup_session::integer - 1 as switchable_pages
    from paged
),

arrivals as (
    select
        *,
        case
            when intent = 'shop' and rnd(sid, 'landing') < 0.4 then '/'
            when intent = 'shop' then '/products/' || product_id(rnd(sid, 'landing_product'))
            when intent = 'content' and rnd(sid, 'landing') < 0.6
                then '/blog/' || pick({sql_list(BLOG_SLUGS)}, rnd(sid, 'landing_page'))
            when intent = 'content'
                then '/docs/' || pick({sql_list(DOC_PAGES)}, rnd(sid, 'landing_page'))
            when intent = 'app' then '/app/dashboard'
            when rnd(sid, 'landing') < 0.5 then '/'
            else '/pricing'
        end as landing_path,
        case when platform = 'web' and switchable_pages >= 1
            and rnd(sid, 'campaign_change') < 0.05
            then 1 + floor(rnd(sid, 'switch_at') * switchable_pages)::integer
        end as switch_j,
        pick(['paid_search', 'paid_social', 'email', 'other'], rnd(sid, 'switch_channel'))
            as switch_channel_draw,
        case when rnd(sid, 'switch_landing') < 0.6
            then '/products/' || product_id(rnd(sid, 'switch_product')) else '/pricing'
        end as switch_path,
        {source} as utm_source
    from counted
),

campaigns as (
    select
        *,
        case when switch_j is not null then
            case when switch_channel_draw = channel then 'email' else switch_channel_draw end
        end as switch_channel,
        {campaign}
    from arrivals
),

switch_campaigns as (
    select *, {switch_source} as switch_utm_source
    from campaigns
),

planned as (
    select
        *,
        {switch_campaign},
        epoch_ms(start_ms)::date as start_day,
        case identify_kind
            when 'signup' then page_ms(start_ms, step_ms, sid, n_pages - 1) + 300
            when 'login' then page_ms(start_ms, step_ms, sid, 0) + 300
        end as identify_ms,
        product_id(rnd(sid, 'funnel_product')) as funnel_product,
        'o_' || lower(hex(seeded_hash(sid, 'order_id'))) as order_id,
        round(case when rnd(sid, 'big_order') < 0.03 then 1000 + rnd(sid, 'revenue') * 4000
            else 20 + 380 * pow(rnd(sid, 'revenue'), 1.6) end, 2) as order_revenue,
        -- the products of an order, if it lists them (a list of structs, as Segment sends it)
        case when funnel_depth >= 3 and rnd(sid, 'has_products') < 0.6 then [
            struct_pack(
                product_id := p::varchar,
                sku := 'SKU-' || p,
                price := product_price(p),
                quantity := 1 + floor(rnd(sid * 8 + p, 'order_quantity') * 2)::integer
            )
            for p in list_transform(
                range(1 + floor(rnd(sid, 'n_products') * 3)::integer),
                lambda x: case
                    when x = 0 then product_id(rnd(sid, 'funnel_product'))
                    else product_id(rnd(sid * 8 + x, 'order_product'))
                end
            )
        ] end as order_products,
        -- events are numbered page views first, then the track/identify calls hanging off them
        n_pages as funnel_from,
        n_pages + funnel_depth as signup_from,
        n_pages + funnel_depth + n_signup as login_from,
        n_pages + funnel_depth + n_signup + n_login as setup_from,
        n_pages + funnel_depth + n_signup + n_login + n_setup as feature_from,
        n_pages + funnel_depth + n_signup + n_login + n_setup + n_feature as export_from,
        n_pages + funnel_depth + n_signup + n_login + n_setup + n_feature + n_export
            as friction_from,
        n_pages + funnel_depth + n_signup + n_login + n_setup + n_feature + n_export + n_friction
            as n_events
    from switch_campaigns
)

select
    *,
    {_utm_query("")} as utm_query,
    {_utm_query("switch_")} as switch_utm_query,
    -- JSON of the campaign context member, with its leading comma
    nullif(concat({", ".join(json_parts(campaign_key("")))}), '') as campaign_json,
    nullif(concat({", ".join(json_parts(campaign_key("switch_")))}), '') as switch_campaign_json
from planned
"""


def _utm_query(prefix: str) -> str:
    """The landing URL's query string for a campaign (NULL without one)."""
    return f"""'?utm_source=' || {prefix}utm_source
        || '&utm_medium=' || replace({prefix}utm_medium, ' ', '%20')
        || '&utm_campaign=' || {prefix}utm_campaign
        || coalesce('&utm_term=' || replace({prefix}utm_term, ' ', '+'), '')
        || coalesce('&utm_content=' || {prefix}utm_content, '')"""


def _fault_targets(config: GeneratorConfig) -> dict[str, int]:
    """How many events each fault kind should hit (at least one each when faults are on)."""
    targets = {}
    for kind, share in FAULT_SHARES.items():
        if config.fault_rate == 0 or (kind == "invalid_json" and not config.json_lines):
            targets[kind] = 0
        else:
            targets[kind] = max(1, round(config.events * config.fault_rate * share))
    return targets


def _fault_case(config: GeneratorConfig) -> str:
    # Every stride-th event gets the fault, from a seed-dependent offset: counts fixed up front,
    # spread evenly over visitors and time, and no sort needed to choose them.
    whens = []
    for index, (kind, count) in enumerate(_fault_targets(config).items()):
        if count:
            stride = max(1, config.events // count)
            offset = (config.seed * 1_000_003 + index * 7_919) % stride
            whens.append(f"when e % {stride} = {offset} then '{kind}'")
    return f"case {' '.join(whens)} end" if whens else "null::varchar"


def events_sql(config: GeneratorConfig) -> str:
    n = config.events
    duplicates = ", ".join(duckdb_string(kind) for kind in DUPLICATE_FAULTS)
    return f"""
create or replace table events as
with slots as (
    select
        sid, first_e, start_ms, step_ms, platform, n_pages, funnel_depth, is_signup_session,
        identify_ms, user_before, user_after, funnel_from, signup_from, login_from, setup_from,
        feature_from, export_from, friction_from,
        unnest(range(least(n_events, {n} - first_e))) as i
    from sessions
    join session_offsets using (sid)
    where first_e < {n}
),

roles as (
    select
        *,
        first_e + i as e,
        case
            when i < funnel_from then 'page'
            when i < signup_from then 'funnel'
            when i < login_from then 'signup'
            when i < setup_from then 'login'
            when i < feature_from then 'setup'
            when i < export_from then 'feature'
            when i < friction_from then 'export'
            else 'friction'
        end as role
    from slots
),

anchored as (
    -- li: index among the session's events of the same role; j: the page view it belongs to
    select
        *,
        i - case role
            when 'page' then 0
            when 'funnel' then funnel_from
            when 'signup' then signup_from
            when 'login' then login_from
            when 'setup' then setup_from
            when 'feature' then feature_from
            when 'export' then export_from
            else friction_from
        end as li,
        case role
            when 'page' then i
            when 'funnel' then n_pages - funnel_depth + i - funnel_from
            when 'signup' then n_pages - 1
            when 'setup' then n_pages - 1
            when 'login' then 0
            when 'friction' then case
                when funnel_depth >= 3 and rnd(e, 'friction_at_checkout') < 0.6
                    then n_pages - funnel_depth + 2
                else floor(rnd(e, 'anchor') * n_pages)::integer
            end
            else floor(rnd(e, 'anchor') * n_pages)::integer
        end as j
    from roles
),

timed as (
    select
        *,
        page_ms(start_ms, step_ms, sid, j) + case role
            when 'page' then 0
            -- identify, Signed Up, group, alias: in call order, right after the sign-up page
            when 'signup' then 300 * (li + 1)
            when 'login' then 300
            when 'setup' then case when is_signup_session
                then 60000 + floor(rnd(e, 'setup_delay') * 1140000)::bigint
                else 5000 + floor(rnd(e, 'setup_delay') * 60000)::bigint end
            -- within the first half of the page's slot: before the next page view
            else 150 + floor(rnd(e, 'event_offset') * 0.45 * step_ms)::bigint
        end as event_ms,
        {_fault_case(config)} as fault
    from anchored
),

copies as (
    select
        *,
        case when identify_ms is null or event_ms >= identify_ms then user_after
            else user_before end as user_num,
        unnest(case when fault in ({duplicates}) then [0, 1] else [0] end) as copy_no
    from timed
),

delays as (
    select
        *,
        -- analytics.js sends at once, mobile libraries in batches
        case when platform = 'web' then 10 + floor(pow(rnd(e, 'flush'), 3) * 3000)
            else 1000 + floor(rnd(e, 'flush') * 29000) end::bigint as flush_ms,
        case when rnd(e, 'slow_network') < 0.97 then 20 + floor(pow(rnd(e, 'latency'), 2) * 800)
            else 800 + floor(rnd(e, 'latency') * 4200) end::bigint as latency_ms,
        case when fault = 'late_arrival'
            then {DAY_MS} + floor(rnd(e, 'offline') * 4 * {DAY_MS}) else 0 end::bigint
            as offline_ms,
        case when fault = 'clock_skew'
            then (case when rnd(e, 'skew_sign') < 0.5 then -1 else 1 end)
                * ({HOUR_MS} + floor(rnd(e, 'skew') * 29 * {HOUR_MS}))
            else 0 end::bigint as skew_ms,
        -- when a duplicate copy was received, relative to the first copy
        case
            when copy_no = 0 or fault = 'exact_duplicate' then 0
            when fault = 'resent_duplicate' and rnd(e, 'resend_soon') < 0.5
                then 60000 + floor(rnd(e, 'resend') * 1740000)
            when fault = 'resent_duplicate'
                then 6 * {HOUR_MS} + floor(rnd(e, 'resend') * 42 * {HOUR_MS})
            else -(1000 + floor(rnd(e, 'resend') * 599000))
        end::bigint as resend_ms
    from copies
),

received as (
    select
        *,
        event_ms + flush_ms + offline_ms + latency_ms as first_received_ms,
        -- an earlier copy still arrives the same day, so it sits in the same file
        greatest(
            event_ms + flush_ms + offline_ms + latency_ms + resend_ms,
            (event_ms + flush_ms + offline_ms + latency_ms) // {DAY_MS} * {DAY_MS}
        ) as received_ms
    from delays
)

select
    sid, e, copy_no, role, li, j, user_num, fault, received_ms,
    -- the client clock's reading (skewed clocks included), as Segment stores it
    case when fault = 'future_time'
        then received_ms + 2 * {DAY_MS} + floor(rnd(e, 'future') * 28 * {DAY_MS})::bigint
        else event_ms + skew_ms end as original_ms,
    event_ms + flush_ms + offline_ms + skew_ms + received_ms - first_received_ms as sent_ms,
    -- Segment's corrected time: receivedAt - (sentAt - originalTimestamp)
    case
        when fault = 'clock_skew' then null
        when fault = 'future_time'
            then received_ms + 2 * {DAY_MS} + floor(rnd(e, 'future') * 28 * {DAY_MS})::bigint
        else event_ms + latency_ms
    end as timestamp_ms,
    case when fault = 'resent_earlier_duplicate' and copy_no = 1
        then first_received_ms + 1000 + floor(rnd(e, 'write_lag') * 59000)::bigint
        else received_ms end as write_ms,
    epoch_ms(received_ms)::date as received_day
from received
"""
