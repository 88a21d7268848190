-- Every score of every customer scored at the validation cutoff V (the as-of date minus
-- `prediction_horizon_days`), from data dated on or before V only, with the outcome observed in (V, as-of date].
-- One union branch per score, each stating its outcome and which way the score points:
-- fct_score_validation validates them all alike.
with

customer_features_at_cutoffs as (
    select * from {{ ref('int_customer_features_at_cutoffs') }}
),

purchasers_at_validation_cutoff as (
    select
        customer_id,
        cutoff_date,
        recency_days,
        frequency,
        monetary,
        is_churned
    from customer_features_at_cutoffs
    where cutoff_role = 'validation'
        and has_purchased
),

-- scored like fct_customer_rfm_scores and fct_customer_scores, over the purchasers at V
rfm_scored_at_validation_cutoff as (
    select
        customer_id,
        cutoff_date,
        is_churned,
        -- fewer days since the last purchase is better, so recency ranks in reverse
        {{ rfm_score('recency_days', higher_is_better=false) }} as recency_score,
        {{ rfm_score('frequency') }} as frequency_score,
        {{ rfm_score('monetary') }} as monetary_score
    from purchasers_at_validation_cutoff
),

rfm_composite_scores as (
    select
        'rfm_composite' as score_name,
        'churned' as outcome_name,
        -- a high composite is a recent, frequent, high-spending buyer: the least likely to churn
        false as higher_score_predicts_outcome,
        cutoff_date,
        customer_id,
        {{ composite_score('recency_score', 'frequency_score', 'monetary_score') }} as score_value,
        -- the composite is a rank, not a probability
        cast(null as {{ type_double() }}) as predicted_outcome,
        case when is_churned then 1 else 0 end as outcome
    from rfm_scored_at_validation_cutoff
),

scores_unioned as (
    select * from rfm_composite_scores
)

select * from scores_unioned
