{% macro rfm_cut_point_dimensions() %}
    {#- The validated var 'rfm_cut_point_dimensions': the R, F and M dimensions scored by the fixed bands of the
        rfm_cut_points seed instead of by rank among the buyers. -#}
    {%- set supported = ['recency', 'frequency', 'monetary'] -%}
    {%- set dimensions = var('rfm_cut_point_dimensions') -%}
    {%- set is_list = dimensions is iterable and dimensions is not string and dimensions is not mapping -%}
    {%- if not is_list
        or dimensions | reject('in', supported) | list | length > 0
        or dimensions | unique | list | length != dimensions | length -%}
        {{ exceptions.raise_compiler_error(
            "var 'rfm_cut_point_dimensions' must be a list of distinct dimensions from "
            ~ (supported | join(', ')) ~ " (or empty), got " ~ (dimensions | tojson)
        ) }}
    {%- endif -%}
    {{- return(dimensions | list) -}}
{% endmacro %}
