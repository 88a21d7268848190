{% macro columns_with_failures(model, failing_rows_per_column, count_name) %}
    {#- The rows of a data test that checks several columns of a model in one pass: one row per column whose
        count of failing rows is above 0, (column_name, <count_name>). `failing_rows_per_column` maps each
        column to the aggregate over the model that counts its failing rows. -#}
with failing_row_counts as (
    select
    {%- for column, failing_rows in failing_rows_per_column.items() %}
        {{ failing_rows }} as failing_rows_in_column_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
),

checked_columns as (
    {%- for column in failing_rows_per_column %}
    select {{ loop.index }} as column_position, '{{ column }}' as column_name{{ ' union all' if not loop.last }}
    {%- endfor %}
),

failing_rows_per_column as (
    select
        checked_columns.column_name,
        case checked_columns.column_position
        {%- for column in failing_rows_per_column %}
            when {{ loop.index }} then failing_row_counts.failing_rows_in_column_{{ loop.index }}
        {%- endfor %}
        end as {{ count_name }}
    from failing_row_counts
    cross join checked_columns
)

select column_name, {{ count_name }}
from failing_rows_per_column
where {{ count_name }} > 0
{% endmacro %}
