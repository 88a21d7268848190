{% macro incremental_materialization() %}
    {#- 'incremental' where the warehouse can replace rows of a table in place (delete+insert), 'table' on
        Spark: its Parquet tables cannot (Delta Lake would need jars fetched at run time), so there the
        model is rebuilt in full on every run, with the same result. -#}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{% endmacro %}
