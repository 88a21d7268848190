{% test not_null_columns(model, columns) %}
{#- Fails on every one of the columns that holds nulls, with how many rows: one pass over the model for all
    its required columns, where a not_null test per column would read it once per column. -#}
with null_counts as (
    select
    {%- for column in columns %}
        count(*) - count({{ column }}) as nulls_in_column_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
),

required_columns as (
    {%- for column in columns %}
    select {{ loop.index }} as column_position, '{{ column }}' as column_name{{ ' union all' if not loop.last }}
    {%- endfor %}
),

nulls_per_column as (
    select
        required_columns.column_name,
        case required_columns.column_position
        {%- for column in columns %}
            when {{ loop.index }} then null_counts.nulls_in_column_{{ loop.index }}
        {%- endfor %}
        end as null_rows
    from null_counts
    cross join required_columns
)

select column_name, null_rows
from nulls_per_column
where null_rows > 0
{% endtest %}
