{% macro composite_score(recency_score, frequency_score, monetary_score) %}
    {#- The 0-100 composite of three R, F and M score expressions (1..rfm_bucket_count): 100 x the
        `composite_weights`-weighted mean of (score - 1) / (rfm_bucket_count - 1). The weighted sum is taken
        in exact decimals, so equal weighted sums give equal composite scores (and equal ranks). -#}
    {%- set top_score = scorehouse.numeric_var('rfm_bucket_count', 2, 100, whole_number=true) -%}
    {%- set weight = {} -%}
    {%- for component, value in scorehouse.composite_weights().items() -%}
        {%- do weight.update({component: "cast('" ~ value ~ "' as " ~ dbt.type_numeric() ~ ")"}) -%}
    {%- endfor -%}
    100 * cast(
            {{ weight.recency }} * ({{ recency_score }} - 1)
            + {{ weight.frequency }} * ({{ frequency_score }} - 1)
            + {{ weight.monetary }} * ({{ monetary_score }} - 1)
            as {{ scorehouse.type_double() }}
        )
        / cast(
            ({{ weight.recency }} + {{ weight.frequency }} + {{ weight.monetary }}) * {{ top_score - 1 }}
            as {{ scorehouse.type_double() }}
        )
{%- endmacro %}
