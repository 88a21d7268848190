{% macro count_band(count_expression) %}
    {#- A count as one of the bands 0, 1, 2-3, 4-7, 8-15 and 16+ (doubling widths): long-tailed counts
        compared by band, not by value. -#}
    case
        when {{ count_expression }} = 0 then '0'
        when {{ count_expression }} = 1 then '1'
        when {{ count_expression }} <= 3 then '2-3'
        when {{ count_expression }} <= 7 then '4-7'
        when {{ count_expression }} <= 15 then '8-15'
        else '16+'
    end
{%- endmacro %}
