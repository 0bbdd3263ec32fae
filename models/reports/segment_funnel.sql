{#- Per segment, the funnel of the steps in the var segment_funnel_steps (dbt_project.yml):
    members reaching each step in order, and step-to-step conversion. A member reaches step 1
    with its first event of step 1, and step k with an event of step k at or after the time it
    reached step k - 1. Session-grain segments follow each member session on its own; user-grain
    segments follow each member visitor across all of its sessions. -#}

{%- set steps = [] -%}
{%- for step in var('segment_funnel_steps') -%}
    {%- set step_number = loop.index -%}
    {%- set events = step['events'] or [] -%}
    {%- if not step['name'] or not events -%}
        {{ exceptions.raise_compiler_error(
            "segment_funnel_steps: step " ~ step_number ~ " needs a name and at least one event"
        ) }}
    {%- endif -%}
    {%- for event in events -%}
        {#- A guard, not the rule: a name normalizes to nothing exactly when its lower case holds
            no a-z or 0-9. The names are normalized by the warehouse (funnel_step_events). -#}
        {%- if not modules.re.search('[a-z0-9]', event | string | lower) -%}
            {{ exceptions.raise_compiler_error(
                "segment_funnel_steps: step " ~ step_number ~ ": event '" ~ event
                ~ "' has no letters or digits"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- do steps.append({'number': step_number, 'name': step['name'] | string, 'events': events}) -%}
{%- endfor -%}
{%- if not steps -%}
    {{ exceptions.raise_compiler_error("segment_funnel_steps lists no steps") }}
{%- endif -%}
{#- Members are followed per session (session-grain segments) and per visitor (user grain). -#}
{%- set units = [
    {'grain': 'session', 'prefix': 'session', 'key': 'session_id'},
    {'grain': 'user', 'prefix': 'visitor', 'key': 'visitor_id'},
] -%}

with

-- Each step's events named as marts.events names them ("Order Completed" -> order_completed).
funnel_step_events as (
    {% for step in steps %}
        {% set outer_loop = loop %}
        {% for event in step.events %}
            select
                {{ step.number }} as step_number,
                {{ segmart.sql_string(step.name) }} as step_name,
                {{ loop.index }} as event_position,
                {{ segmart.normalize_event_name(segmart.sql_string(event)) }} as event_name
            {% if not (outer_loop.last and loop.last) %}
                union all
            {% endif %}
        {% endfor %}
    {% endfor %}
),

step_events as (
    select
        session_id,
        visitor_id,
        event_name,
        event_at
    from {{ ref('events') }}
    where
        session_id is not null
        and event_name in (select funnel_step_events.event_name from funnel_step_events)
),

{% for unit in units %}
    {% for step in steps %}
        {% if loop.first %}
            {{ unit.prefix }}_step_{{ step.number }} as (
                select
                    {{ unit.key }} as member_key,
                    min(event_at) as reached_at
                from step_events
                where
                    event_name in (
                        select funnel_step_events.event_name from funnel_step_events
                        where funnel_step_events.step_number = {{ step.number }}
                    )
                group by {{ unit.key }}
            ),
        {% else %}
            {{ unit.prefix }}_step_{{ step.number }} as (
                select
                    previous_step.member_key,
                    min(step_events.event_at) as reached_at
                from {{ unit.prefix }}_step_{{ step.number - 1 }} as previous_step
                inner join step_events
                    on
                        previous_step.member_key = step_events.{{ unit.key }}
                        and previous_step.reached_at <= step_events.event_at
                where
                    step_events.event_name in (
                        select funnel_step_events.event_name from funnel_step_events
                        where funnel_step_events.step_number = {{ step.number }}
                    )
                group by previous_step.member_key
            ),
        {% endif %}
    {% endfor %}
{% endfor %}

reached as (
    {% for unit in units %}
        {% set outer_loop = loop %}
        {% for step in steps %}
            select
                {{ segmart.sql_string(unit.grain) }} as grain,
                {{ step.number }} as step_number,
                member_key
            from {{ unit.prefix }}_step_{{ step.number }}
            {% if not (outer_loop.last and loop.last) %}
                union all
            {% endif %}
        {% endfor %}
    {% endfor %}
),

reached_counts as (
    select
        memberships.segment_name,
        reached.step_number,
        count(*) as reached_members
    from {{ ref('segment_memberships') }} as memberships
    inner join reached
        on
            memberships.grain = reached.grain
            and memberships.member_key = reached.member_key
    group by memberships.segment_name, reached.step_number
),

-- Each step's distinct names, in the order first written.
step_event_names as (
    select
        step_number,
        step_name,
        event_name,
        min(event_position) as event_position
    from funnel_step_events
    group by step_number, step_name, event_name
),

funnel_steps as (
    select
        step_number,
        step_name,
        {{ dbt.listagg("event_name", "', '", "order by event_position") }} as step_events
    from step_event_names
    group by step_number, step_name
),

segments as (
    select
        segment_name,
        grain,
        members
    from {{ ref('segment_catalog') }}
),

funnel as (
    select
        segments.segment_name,
        segments.grain,
        funnel_steps.step_number,
        funnel_steps.step_name,
        funnel_steps.step_events,
        segments.members as segment_members,
        coalesce(reached_counts.reached_members, 0) as reached_members
    from segments
    cross join funnel_steps
    left join reached_counts
        on
            segments.segment_name = reached_counts.segment_name
            and funnel_steps.step_number = reached_counts.step_number
),

with_previous as (
    select
        segment_name,
        grain,
        step_number,
        step_name,
        step_events,
        segment_members,
        reached_members,
        -- Step 1 starts from the segment's members.
        coalesce(
            lag(reached_members) over (partition by segment_name order by step_number),
            segment_members
        ) as previous_step_members,
        max(case when step_number = 1 then reached_members end)
            over (partition by segment_name)
            as first_step_members
    from funnel
),

final as (
    select
        segment_name,
        grain,
        step_number,
        step_name,
        step_events,
        segment_members,
        previous_step_members,
        reached_members,
        previous_step_members - reached_members as dropped_members,
        {{ segmart.ratio('reached_members', 'previous_step_members') }} as step_conversion_rate,
        {{ segmart.ratio('reached_members', 'first_step_members') }} as conversion_from_first_step,
        {{ segmart.ratio('reached_members', 'segment_members') }} as share_of_segment
    from with_previous
)

select * from final
