{% macro rfm_score(value_column, higher_is_better=true) %}
    {#-
        Window expression giving a 1..rfm_bucket_count score over the rows of the current query.

        ties_share_score: equal values get equal scores, the bucket of their group's middle position
        (tie_sharing_bucket), and scores rise with the value.

        strict_ntile: SQL ntile, equal-size buckets, equal values split by customer_id.
    -#}
    {%- set buckets = scorehouse.numeric_var('rfm_bucket_count', 2, 100, whole_number=true) -%}
    {%- set direction = 'asc' if higher_is_better else 'desc' -%}
    {%- if scorehouse.rfm_tie_policy() == 'strict_ntile' -%}
        ntile({{ buckets }}) over (order by {{ value_column }} {{ direction }}, customer_id)
    {%- else -%}
        {{ scorehouse.tie_sharing_bucket(value_column ~ ' ' ~ direction, buckets) }}
    {%- endif -%}
{% endmacro %}
