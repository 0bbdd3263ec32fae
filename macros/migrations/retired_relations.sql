{#- Tables and views an earlier segmart version built under a name it no longer uses (dbt_project.yml
    var segmart_retired_relations, 'schema.name'). dbt never drops what it stops building, so a
    renamed table would linger with its last rows and BI tools could go on reading it as if it
    were current; each run that builds drops them first, naming each in the log. Only derived
    relations are ever listed: state (membership changes, the delivery log) is never retired. -#}
{% macro drop_retired_relations() -%}
    {%- if execute and flags.WHICH in ['build', 'run'] -%}
        {%- for retired in var('segmart_retired_relations', []) -%}
            {%- set schema, identifier = retired.split('.') -%}
            {%- set relation = adapter.get_relation(
                database=target.database, schema=schema, identifier=identifier
            ) -%}
            {%- if relation is not none -%}
                {%- do log("segmart: dropping " ~ relation ~ ", retired (dbt_project.yml "
                    ~ "segmart_retired_relations)", info=true) -%}
                {#- In a transaction of its own making if none is open, committed at once: a
                    hook's queries are otherwise rolled back with its connection. -#}
                {%- call statement('drop_retired_relation', auto_begin=true) -%}
                    drop {{ relation.type }} if exists {{ relation }}
                {%- endcall -%}
                {%- do adapter.commit() -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
