{% macro rfm_score(value_column, higher_is_better=true) %}
    {#-
        Window expression giving a 1..rfm_bucket_count score over the rows of the current query.

        ties_share_score: a group of equal values occupying sorted positions s..e of N gets the bucket of its
        middle position, floor((s - 1 + e) * buckets / (2 * N)) + 1. Equal values share a score, scores rise
        with the value, and every bucket boundary that falls inside a tie group moves to the nearer end of
        that group, so buckets stay as equal in size as the ties allow. Only integers meet in the division,
        and the division is a whole-number one, which keeps the result exact and identical on every
        warehouse.

        strict_ntile: SQL ntile, equal-size buckets, equal values split by customer_id.
    -#}
    {%- set buckets = scorehouse.numeric_var('rfm_bucket_count', 2, 100, whole_number=true) -%}
    {%- set direction = 'asc' if higher_is_better else 'desc' -%}
    {%- if scorehouse.rfm_tie_policy() == 'strict_ntile' -%}
        ntile({{ buckets }}) over (order by {{ value_column }} {{ direction }}, customer_id)
    {%- else -%}
        {#- s - 1 + e: the group's first position minus one plus its last position -#}
        {%- set first_and_last_positions -%}
            rank() over (order by {{ value_column }} {{ direction }}) - 1
            + count(*) over (
                order by {{ value_column }} {{ direction }}
                range between unbounded preceding and current row
            )
        {%- endset -%}
        cast({{ scorehouse.integer_divide(
            '(' ~ first_and_last_positions ~ ') * ' ~ buckets,
            '2 * count(*) over ()'
        ) }} as {{ dbt.type_int() }}) + 1
    {%- endif -%}
{% endmacro %}
