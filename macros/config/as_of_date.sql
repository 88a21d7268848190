{% macro as_of_date() %}
    {#- The scoring reference date as an ISO string: var 'as_of_date', where 'today' is the run's UTC date. -#}
    {%- set value = var('as_of_date') | string -%}
    {%- if value == 'today' -%}
        {{- return(run_started_at.strftime('%Y-%m-%d')) -}}
    {%- endif -%}
    {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', value) -%}
        {{ exceptions.raise_compiler_error(
            "var 'as_of_date' must be 'today' or a date written YYYY-MM-DD, got " ~ (value | tojson)
        ) }}
    {%- endif -%}
    {{- return(value) -}}
{% endmacro %}
