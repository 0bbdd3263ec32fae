{#- Whether each value a segment compares with occurs in the data: the rows of filter_values
    (segment_name, table_name, column_name, filter_value, case_sensitive) against the distinct
    values of each column in observed_values (table_name, column_name, observed_value). The
    generated segment_filter_values model lists both (segmart/compiler/data_checks.py). -#}
{% macro filter_value_occurrences(filter_values, observed_values) -%}
    select
        {{ filter_values }}.segment_name,
        {{ filter_values }}.table_name,
        {{ filter_values }}.column_name,
        {{ filter_values }}.filter_value,
        {{ filter_values }}.case_sensitive,
        count({{ observed_values }}.observed_value) > 0 as occurs_in_data
    from {{ filter_values }}
    left join {{ observed_values }}
        on
            {{ filter_values }}.table_name = {{ observed_values }}.table_name
            and {{ filter_values }}.column_name = {{ observed_values }}.column_name
            and (
                {{ filter_values }}.filter_value = {{ observed_values }}.observed_value
                or (
                    not {{ filter_values }}.case_sensitive
                    and lower({{ filter_values }}.filter_value)
                    = lower({{ observed_values }}.observed_value)
                )
            )
    group by
        {{ filter_values }}.segment_name,
        {{ filter_values }}.table_name,
        {{ filter_values }}.column_name,
        {{ filter_values }}.filter_value,
        {{ filter_values }}.case_sensitive
{%- endmacro %}
