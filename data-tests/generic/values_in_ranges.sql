{% test values_in_ranges(model, ranges) %}
{#- Fails on every one of the columns that holds values outside its inclusive [min, max] range (nulls pass),
    with how many rows: one pass over the model for all its ranges, where a range test per column would read
    it once per column. `ranges` maps each column to [min, max]. -#}
{%- set rows_out_of_range = {} -%}
{%- for column, bounds in ranges.items() -%}
    {%- do rows_out_of_range.update({
        column: 'count(case when ' ~ column ~ ' < ' ~ bounds[0] ~ ' or ' ~ column ~ ' > ' ~ bounds[1] ~ ' then 1 end)'
    }) -%}
{%- endfor -%}
{{ scorehouse.columns_with_failures(model, rows_out_of_range, 'rows_out_of_range') }}
{% endtest %}
