{% macro run_started_timestamp() %}
    {#- The dbt invocation's start (UTC) as a timestamp constant: marks the rows a run (re)wrote. -#}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ api.Column.translate_type('timestamp') }})
{%- endmacro %}
