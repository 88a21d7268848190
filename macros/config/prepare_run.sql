{% macro prepare_run() %}
    {#- Runs at the start of every dbt invocation (on-run-start) and as the refresh's settings step
        (`dbt run-operation prepare_run`): a bad var stops the run before anything is built or loaded, and
        the SQL functions the warehouse lacks are created before staging or a quality gate needs them. -#}
    {%- do scorehouse.validate_vars() -%}
    {%- set function_definitions = scorehouse.create_warehouse_functions() -%}
    {%- if execute and function_definitions | trim -%}
        {%- do run_query(function_definitions) -%}
    {%- endif -%}
    select 1
{% endmacro %}
