{% macro boolean_var(name) %}
    {#- Reads a true/false dbt var and raises a compiler error naming the var otherwise. -#}
    {%- set value = var(name) -%}
    {%- if value is not boolean -%}
        {{ exceptions.raise_compiler_error("var '" ~ name ~ "' must be true or false, got " ~ (value | tojson)) }}
    {%- endif -%}
    {{- return(value) -}}
{% endmacro %}
