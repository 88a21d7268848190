{% macro tie_group_position_sum(order_by, partition_by=none) %}
    {#- Window expression s - 1 + e for the group of equal `order_by` values a row belongs to, where s..e are
        the sorted positions (1-based, within `partition_by` when given) the group occupies. Every row of a
        tie group gets the same whole number: (s + e) / 2 is the group's mean rank, and
        floor((s - 1 + e) x buckets / (2N)) + 1 the bucket of its middle position. -#}
    {%- set window_start = 'partition by ' ~ partition_by ~ ' ' if partition_by else '' -%}
    rank() over ({{ window_start }}order by {{ order_by }}) - 1
    + count(*) over (
        {{ window_start }}order by {{ order_by }}
        range between unbounded preceding and current row
    )
{%- endmacro %}
