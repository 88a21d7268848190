{% macro type_double() %}
    {#- 64-bit floating point. dbt.type_float() is 32-bit on DuckDB and Spark, too coarse for scores
        that must match across warehouses to 1e-9. -#}
    {{- return(adapter.dispatch('type_double', 'scorehouse')()) -}}
{% endmacro %}

{% macro default__type_double() %}
    {{- return('double') -}}
{% endmacro %}

{% macro postgres__type_double() %}
    {{- return('double precision') -}}
{% endmacro %}
