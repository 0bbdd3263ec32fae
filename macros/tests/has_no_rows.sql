{#- Generic test: every row of the model is a finding (use with severity: warn for reports that
    must be seen at build time but must not stop the refresh). -#}
{% test has_no_rows(model) %}
select * from {{ model }}
{% endtest %}
