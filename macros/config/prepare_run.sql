{% macro prepare_run() %}
    {#- Runs at the start of every dbt invocation (on-run-start) and as the refresh's settings step
        (`dbt run-operation prepare_run`): a bad var stops the run before anything is built or loaded, and
        the SQL functions the warehouse lacks are created before staging or a quality gate needs them, with
        the record of passed data tests. -#}
    {%- do scorehouse.validate_vars() -%}
    {%- for definitions in [scorehouse.create_warehouse_functions(), scorehouse.create_passed_data_tests()] -%}
        {%- if execute and definitions | trim -%}
            {%- do run_query(definitions) -%}
        {%- endif -%}
    {%- endfor -%}
    select 1
{% endmacro %}
