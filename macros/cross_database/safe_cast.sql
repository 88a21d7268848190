{% macro default__safe_cast(field, type) %}
    {#- dbt's default safe_cast is a plain cast, which aborts the build on the first unreadable value;
        staging needs null instead so the row can be quarantined with a reason. DuckDB and Spark have
        try_cast. -#}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{% macro postgres__safe_cast(field, type) %}
    {#- PostgreSQL 15 has no try_cast: the project's try_cast function (create_warehouse_functions) stands
        in. Its polymorphic result drops type modifiers, so the outer cast applies them (numeric(28,6)
        rounds to 6 places as on the other warehouses). -#}
    cast({{ target.schema }}.try_cast(trim(cast({{ field }} as text)), cast(null as {{ type }})) as {{ type }})
{%- endmacro %}
