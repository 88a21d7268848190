-- Weighted composite score (0-100) of every customer from their normalised R, F and M scores.
{%- set top_score = numeric_var('rfm_bucket_count', 2, 100, whole_number=true) %}

with

rfm_scores as (
    select * from {{ ref('fct_customer_rfm_scores') }}
),

composited as (
    select
        customer_id,
        as_of_date,
        has_purchased,
        recency_days,
        frequency,
        monetary,
        recency_score,
        frequency_score,
        monetary_score,
        -- each component as 0 for the lowest bucket and 1 for the highest
        cast(recency_score - 1 as {{ type_double() }}) / {{ top_score - 1 }} as recency_score_normalised,
        cast(frequency_score - 1 as {{ type_double() }}) / {{ top_score - 1 }} as frequency_score_normalised,
        cast(monetary_score - 1 as {{ type_double() }}) / {{ top_score - 1 }} as monetary_score_normalised,
        {{ composite_score('recency_score', 'frequency_score', 'monetary_score') }} as composite_score
    from rfm_scores
)

select * from composited
