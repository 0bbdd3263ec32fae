{#- Generic test: fails on every row where the expression is not true (dbt_utils has one; the
    package hub is not reachable, and this is all we need of it). -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }}
where not ({{ expression }})
{% endtest %}
