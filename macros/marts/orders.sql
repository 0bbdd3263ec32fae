{#- What an order is and what it is worth: an `Order Completed` event, worth its numeric
    `properties.revenue` (absent or not a number: nothing). `sessions` and `users` aggregate
    these per session and per visitor. -#}
{% macro is_order() -%}
    event_name = 'order_completed'
{%- endmacro %}

{% macro order_revenue() -%}
    case
        when {{ segmart.is_order() }}
            then {{ segmart.try_cast(segmart.json_text('properties', '$.revenue'), 'double') }}
    end
{%- endmacro %}
