{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) %}
    {#- dbt-spark's listagg ignores order_by_clause, and collect_list keeps no order, so lists could differ
        from run to run. Collecting (order key, value) pairs and sorting them honours an ascending
        `order by <expressions>`, as dbt.listagg does on DuckDB and PostgreSQL. -#}
    {%- set values = 'collect_list(' ~ measure ~ ')' -%}
    {%- if order_by_clause -%}
        {%- set parsed = modules.re.match('(?is)^\\s*order\\s+by\\s+(.+?)\\s*$', order_by_clause) -%}
        {%- if not parsed or modules.re.search('(?i)\\b(asc|desc|nulls)\\b', parsed.group(1)) -%}
            {{ exceptions.raise_compiler_error(
                "listagg on Spark sorts ascending only: write order_by_clause as 'order by <expressions>', got " ~ (order_by_clause | tojson)
            ) }}
        {%- endif -%}
        {%- set values = "transform(array_sort(collect_list(named_struct('sort_key', struct(" ~ parsed.group(1)
            ~ "), 'listed_value', " ~ measure ~ "))), entry -> entry.listed_value)" -%}
    {%- endif -%}
    {%- if limit_num -%}
        {%- set values = 'slice(' ~ values ~ ', 1, ' ~ limit_num ~ ')' -%}
    {%- endif -%}
    array_join({{ values }}, {{ delimiter_text }})
{%- endmacro %}
