{% test values_in_ranges(model, ranges) %}
{#- Fails on every one of the columns that holds values outside its inclusive [min, max] range (nulls pass), with
    how many rows: one pass over the model for all its ranges, where a range test per column would read it once
    per column. `ranges` maps each column to [min, max]. -#}
with out_of_range_counts as (
    select
    {%- for column, bounds in ranges.items() %}
        count(case when {{ column }} < {{ bounds[0] }} or {{ column }} > {{ bounds[1] }} then 1 end)
            as rows_out_of_range_in_column_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
),

ranged_columns as (
    {%- for column in ranges %}
    select {{ loop.index }} as column_position, '{{ column }}' as column_name{{ ' union all' if not loop.last }}
    {%- endfor %}
),

out_of_range_per_column as (
    select
        ranged_columns.column_name,
        case ranged_columns.column_position
        {%- for column in ranges %}
            when {{ loop.index }} then out_of_range_counts.rows_out_of_range_in_column_{{ loop.index }}
        {%- endfor %}
        end as rows_out_of_range
    from out_of_range_counts
    cross join ranged_columns
)

select column_name, rows_out_of_range
from out_of_range_per_column
where rows_out_of_range > 0
{% endtest %}
