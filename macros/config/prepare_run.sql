{% macro prepare_run() %}
    {#- The on-run-start hook, which dbt also renders while it parses the project: a bad var stops the
        parse, and so the refresh's settings step, before anything is loaded. At the start of every dbt
        invocation it creates the SQL functions the warehouse lacks, before staging or a quality gate needs
        them, with the record of passed data tests. -#}
    {%- do scorehouse.validate_vars() -%}
    {%- for definitions in [scorehouse.create_warehouse_functions(), scorehouse.create_passed_data_tests()] -%}
        {%- if execute and definitions | trim -%}
            {%- do run_query(definitions) -%}
        {%- endif -%}
    {%- endfor -%}
    select 1
{% endmacro %}
