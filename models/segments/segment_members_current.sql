{#- Every segment's members right now, in one long relation (one row per segment and member).
    Loops over the generated list of registered segments (macros/generated/). -#}
{{ config(materialized='view') }}

with

{% set segments = segmart.registered_segments() %}
members as (
    {% for segment in segments %}
        select
            {{ segmart.sql_string(segment.name) }} as segment_name,
            {{ segmart.sql_string(segment.grain) }} as grain,
            {{ segment.key }} as member_key,
            {#- An account has no one visitor: its members are in marts.account_users. #}
            {{ 'cast(null as ' ~ dbt.type_string() ~ ')' if segment.grain == 'account' else 'visitor_id' }}
                as visitor_id,
            refreshed_at
        from {{ ref(segment.model) }}
        {% if not loop.last %}
            union all
        {% endif %}
    {% endfor %}
    {% if not segments %}
        {%- set text = dbt.type_string() %}
        {{ segmart.empty_rows({
            'segment_name': text, 'grain': text, 'member_key': text, 'visitor_id': text,
            'refreshed_at': 'timestamp',
        }) }}
    {% endif %}
)

select * from members
