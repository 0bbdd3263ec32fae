{#- Spark versions of dbt's own cross-database macros, where dbt-spark's would give other results
    than DuckDB. dbt dispatches `dbt.<macro>` to the root project first, so these replace
    dbt-spark's on Spark only. -#}

{#- dbt-spark's goes through to_unix_timestamp, which drops the fraction of a second: a
    condition like "within 24 hours of signup" would then differ on events stamped in
    milliseconds. timestampadd keeps microseconds and counts calendar days and months in the
    session time zone (UTC), as DuckDB's interval arithmetic does. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}

{#- dbt-spark's ignores the order (collect_list, with a warning); Spark 4 has listagg with
    WITHIN GROUP, so the list reads in the same order as on DuckDB. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("segmart's listagg on Spark takes no limit_num") }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif -%}
{%- endmacro %}

{#- Model contracts name types both DuckDB and PostgreSQL know (text, float8, json); dbt checks a
    contract by casting null to each declared type, and Spark knows none of those three. Check
    them as the Spark types the models produce (JSON is text in Spark tables). -#}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set spark_types = {
        'text': 'string', 'varchar': 'string', 'float8': 'double',
        'double precision': 'double', 'json': 'string',
    } -%}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set column = column.copy() -%}
        {%- if column.get('data_type') -%}
            {%- set declared = column['data_type'] | trim | lower -%}
            {%- do column.update({'data_type': spark_types.get(declared, column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: column}) -%}
    {%- endfor -%}
    {{ return(dbt.default__get_empty_schema_sql(translated)) }}
{%- endmacro %}
