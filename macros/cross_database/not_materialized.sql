{% macro not_materialized() %}
    {#- Written after `as` in a CTE that a model scans once per prediction cutoff (rows_at_cutoffs), so the
        warehouse reads the relation again for each scan instead of keeping the CTE's rows. DuckDB keeps a
        CTE read more than once whose query joins, as the *_reconciled views do (with the merged customer
        ids); at 100M orders the orders and events it kept this way ran the features at the cutoffs out of
        memory. PostgreSQL keeps such CTEs too, but spills them to disk; Spark has no such keyword. -#}
    {{- return(adapter.dispatch('not_materialized', 'scorehouse')()) -}}
{% endmacro %}

{% macro default__not_materialized() %}
    {{- return('') -}}
{% endmacro %}

{% macro duckdb__not_materialized() %}
    {{- return('not materialized') -}}
{% endmacro %}
