-- Composite score (0-100) of every customer: the sum of the points of the criteria in seed score_criteria
-- (fct_customer_score_contributions), or, while that seed is empty, the weighted mean of the normalised R, F
-- and M scores, taken from the scores themselves in exact decimals so that equal weighted sums tie exactly.
{%- set top_score = numeric_var('rfm_bucket_count', 2, 100, whole_number=true) %}

with

rfm_scores as (
    select * from {{ ref('fct_customer_rfm_scores') }}
),

score_contributions as (
    select * from {{ ref('fct_customer_score_contributions') }}
),

criteria_composites as (
    select
        customer_id,
        cast(sum(points) as {{ type_double() }}) as composite_score
    from score_contributions
    where is_from_score_criteria
    group by customer_id
),

composited as (
    select
        rfm_scores.customer_id,
        rfm_scores.as_of_date,
        rfm_scores.has_purchased,
        rfm_scores.recency_days,
        rfm_scores.frequency,
        rfm_scores.monetary,
        rfm_scores.recency_score,
        rfm_scores.frequency_score,
        rfm_scores.monetary_score,
        -- each component as 0 for the lowest bucket and 1 for the highest
        cast(rfm_scores.recency_score - 1 as {{ type_double() }}) / {{ top_score - 1 }} as recency_score_normalised,
        cast(rfm_scores.frequency_score - 1 as {{ type_double() }}) / {{ top_score - 1 }}
            as frequency_score_normalised,
        cast(rfm_scores.monetary_score - 1 as {{ type_double() }}) / {{ top_score - 1 }}
            as monetary_score_normalised,
        coalesce(
            criteria_composites.composite_score,
            {{ composite_score('rfm_scores.recency_score', 'rfm_scores.frequency_score', 'rfm_scores.monetary_score') }}
        ) as composite_score
    from rfm_scores
    left join criteria_composites
        on rfm_scores.customer_id = criteria_composites.customer_id
)

select * from composited
