{% macro grant_schema_usage(built_schemas, schema_name) %}
    {#- Lets the BI role (env SCOREHOUSE_BI_ROLE) use `schema_name` once this run has built it; dbt's
        `grants` config covers tables only. Runs as an on-run-end hook, where dbt passes `schemas`. -#}
    {{- return(adapter.dispatch('grant_schema_usage', 'scorehouse')(built_schemas, schema_name)) -}}
{% endmacro %}

{% macro default__grant_schema_usage(built_schemas, schema_name) %}
{% endmacro %}

{% macro postgres__grant_schema_usage(built_schemas, schema_name) %}
    {%- if schema_name in built_schemas -%}
    grant usage on schema {{ adapter.quote(schema_name) }} to {{ adapter.quote(env_var('SCOREHOUSE_BI_ROLE')) }}
    {%- endif -%}
{% endmacro %}
