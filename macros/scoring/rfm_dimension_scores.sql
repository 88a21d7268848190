{% macro rfm_dimension_scores(scored_relation, dimension) %}
    {#-
        SQL of one R, F or M score, 1..rfm_bucket_count, for every row of `scored_relation` (a relation with
        customer_id and the dimension's value column: recency_days, frequency or monetary), as the columns
        customer_id and <dimension>_score. Scores rise with the value; for recency fewer days is better.

        A dimension listed in `rfm_cut_point_dimensions` takes the score of the band of the rfm_cut_points seed
        its value falls in. The others are ranked among the rows, by `rfm_tie_policy`:
        ties_share_score (value_group_scores): equal values get equal scores, the lowest value 1 and the
        highest rfm_bucket_count; strict_ntile: SQL ntile, equal-size buckets, equal values split by customer_id.
    -#}
    {%- set value_columns = {'recency': 'recency_days', 'frequency': 'frequency', 'monetary': 'monetary'} -%}
    {%- if dimension not in value_columns -%}
        {{ exceptions.raise_compiler_error(
            "rfm_dimension_scores: dimension must be one of recency, frequency, monetary, got " ~ (dimension | tojson)
        ) }}
    {%- endif -%}
    {%- set value_column = value_columns[dimension] -%}
    {%- set buckets = scorehouse.numeric_var('rfm_bucket_count', 2, 100, whole_number=true) -%}
    {#- more days since the last purchase is worse, so recency ranks in reverse -#}
    {%- set worst_first = 'desc' if dimension == 'recency' else 'asc' -%}
    {%- if dimension in scorehouse.rfm_cut_point_dimensions() -%}
        {%- set rfm_cut_points = ref('rfm_cut_points') -%}
        {%- do scorehouse.validate_rfm_cut_points(rfm_cut_points, dimension) %}
    select
        scored.customer_id,
        cast(rfm_cut_points.score as {{ dbt.type_int() }}) as {{ dimension }}_score
    from {{ scored_relation }} as scored
    left join {{ rfm_cut_points }} as rfm_cut_points
        on rfm_cut_points.dimension = '{{ dimension }}'
        and scored.{{ value_column }} >= rfm_cut_points.lower_bound_inclusive
        and (
            scored.{{ value_column }} < rfm_cut_points.upper_bound_exclusive
            or rfm_cut_points.upper_bound_exclusive is null
        )
    {%- elif scorehouse.rfm_tie_policy() == 'strict_ntile' %}
    select
        customer_id,
        cast(ntile({{ buckets }}) over (order by {{ value_column }} {{ worst_first }}, customer_id)
            as {{ dbt.type_int() }}) as {{ dimension }}_score
    from {{ scored_relation }}
    {%- else %}
    select
        scored.customer_id,
        cast(value_scores.value_score as {{ dbt.type_int() }}) as {{ dimension }}_score
    from {{ scored_relation }} as scored
    left join (
        {{ scorehouse.value_group_scores(scored_relation, value_column, worst_first, buckets) }}
    ) as value_scores
        on scored.{{ value_column }} = value_scores.{{ value_column }}
    {%- endif -%}
{% endmacro %}
