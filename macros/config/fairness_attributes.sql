{% macro fairness_attributes() %}
    {#- The validated var 'fairness_attributes': the sensitive attributes fct_fairness_audit compares groups by. -#}
    {%- set supported = ['gender', 'age_band', 'country'] -%}
    {%- set attributes = var('fairness_attributes') -%}
    {%- set is_list = attributes is iterable and attributes is not string and attributes is not mapping -%}
    {%- if not is_list
        or attributes | length == 0
        or attributes | reject('in', supported) | list | length > 0
        or attributes | unique | list | length != attributes | length -%}
        {{ exceptions.raise_compiler_error(
            "var 'fairness_attributes' must be a non-empty list of distinct attributes from "
            ~ (supported | join(', ')) ~ ", got " ~ (attributes | tojson)
        ) }}
    {%- endif -%}
    {{- return(attributes | list) -}}
{% endmacro %}
