{% macro code_point_sort_key(text_expression) %}
    {#- A text expression that sorts by code point, as DuckDB and Spark sort text, so an order by text is the
        same on every warehouse (dispatched; PostgreSQL sorts by the database's locale otherwise). -#}
    {{- return(adapter.dispatch('code_point_sort_key', 'scorehouse')(text_expression)) -}}
{% endmacro %}

{% macro default__code_point_sort_key(text_expression) %}
    {{- text_expression -}}
{% endmacro %}

{% macro postgres__code_point_sort_key(text_expression) %}
    {{- text_expression }} collate "C"
{%- endmacro %}
