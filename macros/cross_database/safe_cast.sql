{% macro duckdb__safe_cast(field, type) %}
    {#- dbt's default safe_cast is a plain cast, which aborts the build on the first unreadable value;
        staging needs null instead so the row can be quarantined with a reason. -#}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
