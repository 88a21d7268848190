{% macro not_materialized() %}
    {#- Written after `as` in a CTE that a model reads more than once over many rows, so the warehouse computes
        the CTE again for each read instead of keeping its rows. DuckDB keeps a CTE read more than once whose
        query joins; at 100M orders the rows kept this way ran the features at the prediction cutoffs out of
        memory (the orders and events per cutoff), and the checked orders spilled to disk (the order ids
        delivered more than once, then the rows to write). PostgreSQL keeps such CTEs too, but spills them to
        disk; Spark has no such keyword. -#}
    {{- return(adapter.dispatch('not_materialized', 'scorehouse')()) -}}
{% endmacro %}

{% macro default__not_materialized() %}
    {{- return('') -}}
{% endmacro %}

{% macro duckdb__not_materialized() %}
    {{- return('not materialized') -}}
{% endmacro %}
