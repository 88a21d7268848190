{% macro delivered_column_types(relation) %}
    {#- The warehouse type of each column of a raw table, by lower-case column name, so that typing can
        skip the text round trips of a column that already has its type. Only DuckDB's raw tables keep the
        types a Parquet file delivers; the other targets load every contract column as text
        (loading.raw_table_exports), so for them, and while dbt only parses, this asks nothing. -#}
    {%- set types = {} -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do types.update({column.name | lower: column.data_type | lower}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(types) -}}
{% endmacro %}
