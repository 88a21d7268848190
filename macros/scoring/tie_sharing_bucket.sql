{% macro tie_sharing_bucket(order_by, buckets, partition_by=none) %}
    {#- Window expression giving a 1..buckets bucket over the rows sorted by `order_by` (within
        `partition_by` when given), the first rows in bucket 1. A group of equal values at sorted positions
        s..e of N gets the bucket of its middle position, floor((s - 1 + e) x buckets / (2N)) + 1: equal
        values share a bucket, and every bucket boundary that falls inside a tie group moves to the nearer
        end of that group, so buckets stay as equal in size as the ties allow. Only integers meet in the
        division, and it is a whole-number one, which keeps the result exact and identical on every
        warehouse. -#}
    {%- set window_start = 'partition by ' ~ partition_by if partition_by else '' -%}
    cast({{ scorehouse.integer_divide(
        '(' ~ scorehouse.tie_group_position_sum(order_by, partition_by) ~ ') * ' ~ buckets,
        '2 * count(*) over (' ~ window_start ~ ')'
    ) }} as {{ dbt.type_int() }}) + 1
{%- endmacro %}
