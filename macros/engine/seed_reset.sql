{#- A seed's full refresh, done inside its transaction. dbt's own version drops the seed's table
    before the transaction that reloads it begins, so a reload that failed (out of memory, a full
    disk, a killed run) left the warehouse without the seed, and every model reading it failed
    until someone rebuilt it. Dropped inside the transaction, a failed reload rolls back to the
    last good table. Engines with their own version (Spark, BigQuery, Snowflake) keep it. -#}
{% macro default__reset_csv_table(model, full_refresh, old_relation, agate_table) %}
    {%- if not full_refresh -%}
        {{ return(dbt.default__reset_csv_table(model, full_refresh, old_relation, agate_table)) }}
    {%- endif -%}
    {%- call statement('drop_seed_in_transaction', auto_begin=True) -%}
        {{ get_drop_sql(old_relation) }}
    {%- endcall -%}
    {%- do adapter.cache_dropped(old_relation) -%}
    {{ return(create_csv_table(model, agate_table)) }}
{% endmacro %}
