{#- A user trait of identify calls (a name or a dotted path into traits), as text. A visitor's
    value is the last non-null one by event time, message_id breaking ties (not
    visitor_event_number: it numbers activity only and is null on identify calls). Users' trait
    columns and segments' trait conditions read the value at the end (latest_trait, an
    aggregate over the visitor's messages); an event's trait filter reads it at that event
    (trait_at_event, a window). -#}

{#- call: the calls the traits are read from; group calls hold an account's traits (marts.accounts
    reads them grouped by account). -#}
{% macro latest_trait(trait, call='identify') -%}
    {{ segmart.value_at_max(
        segmart.json_text('traits', '$.' ~ trait), ['event_at', 'message_id'],
        where="message_type = '" ~ call ~ "'", data_type='varchar',
    ) }}
{%- endmacro %}

{#- events: the alias of the events relation the window runs over. -#}
{% macro trait_at_event(events, trait) -%}
    {{ segmart.last_value_ignore_nulls(
        "case when " ~ events ~ ".message_type = 'identify' then "
        ~ segmart.json_text(events ~ '.traits', '$.' ~ trait) ~ " end"
    ) }} over (
        partition by {{ events }}.visitor_id
        order by {{ events }}.event_at, {{ events }}.message_id
        rows between unbounded preceding and current row
    )
{%- endmacro %}
