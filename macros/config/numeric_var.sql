{% macro numeric_var(name, minimum, maximum, whole_number=false) %}
    {#- Reads a numeric dbt var and stops compilation with a message naming it when it is out of range. -#}
    {%- set value = var(name) -%}
    {%- set kind = 'a whole number' if whole_number else 'a number' -%}
    {%- set is_valid = value is number and value is not boolean
        and (not whole_number or value == value | int)
        and minimum <= value <= maximum -%}
    {%- if not is_valid -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' must be " ~ kind ~ " from " ~ minimum ~ " to " ~ maximum ~ ", got " ~ (value | tojson)
        ) }}
    {%- endif -%}
    {{- return(value | int if whole_number else value) -}}
{% endmacro %}
