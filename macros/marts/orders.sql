{#- What an order is and what it is worth: an `Order Completed` event, worth its numeric
    `properties.revenue` (absent or not a number: nothing). `sessions` and `users` sum these
    per session and per visitor (orders_revenue). -#}
{% macro is_order() -%}
    event_name = 'order_completed'
{%- endmacro %}

{% macro order_revenue() -%}
    case
        when {{ segmart.is_order() }}
            then {{ segmart.money(segmart.try_cast(segmart.json_text('properties', '$.revenue'), 'double')) }}
    end
{%- endmacro %}

{#- The revenue of a group's orders (0 without any), as money: a sum widens the decimal type on
    some engines (DuckDB: to 38 digits), so it is cast back. -#}
{% macro orders_revenue() -%}
    cast(coalesce(sum({{ segmart.order_revenue() }}), 0) as {{ dbt.type_numeric() }})
{%- endmacro %}

{#- An amount of money from a number: dbt's numeric type (numeric(28, 6); BigQuery NUMERIC), so
    sums are exact (0.1 + 0.2 is 0.3, not 0.30000000000000004). Rounded to 6 decimals (BigQuery's
    NUMERIC keeps 9: PostgreSQL has no round of a double to digits, so no round() here); a
    magnitude of 10^15 or more is no amount (null), as text that is no number is. The cast is
    outermost so the column's type is exactly numeric(28, 6) (PostgreSQL drops it from a case). -#}
{% macro money(number) -%}
    cast(case when abs({{ number }}) < 1e15 then {{ number }} end as {{ dbt.type_numeric() }})
{%- endmacro %}
