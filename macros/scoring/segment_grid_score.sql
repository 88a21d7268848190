{% macro segment_grid_score(score_column) %}
    {#- Places a 1..rfm_bucket_count score on the 1..5 grid the segment map is written in
        (linear, halves rounded up), so the map keeps working when the bucket count changes. -#}
    {%- set buckets = scorehouse.numeric_var('rfm_bucket_count', 2, 100, whole_number=true) -%}
    cast(floor(({{ score_column }} - 1) * 4.0 / {{ buckets - 1 }} + 0.5) as {{ dbt.type_int() }}) + 1
{%- endmacro %}
