-- Every score of every customer scored at the validation cutoff V (the as-of date minus
-- `prediction_horizon_days`), from data dated on or before V only, with the outcome observed in (V, as-of date].
-- One union branch per score, each stating its outcome and which way the score points:
-- fct_score_validation validates them all alike.
with

customer_features_at_cutoffs as (
    select * from {{ ref('int_customer_features_at_cutoffs') }}
),

customer_churn_probabilities as (
    select * from {{ ref('int_customer_churn_probabilities') }}
),

customer_value_predictions_at_validation_cutoff as (
    select * from {{ ref('int_customer_value_predictions_at_validation_cutoff') }}
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
recency_scored_at_validation_cutoff as (
    {{ rfm_dimension_scores('purchasers_at_validation_cutoff', 'recency') }}
),

frequency_scored_at_validation_cutoff as (
    {{ rfm_dimension_scores('purchasers_at_validation_cutoff', 'frequency') }}
),

monetary_scored_at_validation_cutoff as (
    {{ rfm_dimension_scores('purchasers_at_validation_cutoff', 'monetary') }}
),

rfm_scored_at_validation_cutoff as (
    select
        purchasers_at_validation_cutoff.customer_id,
        purchasers_at_validation_cutoff.cutoff_date,
        purchasers_at_validation_cutoff.is_churned,
        recency_scored_at_validation_cutoff.recency_score,
        frequency_scored_at_validation_cutoff.frequency_score,
        monetary_scored_at_validation_cutoff.monetary_score
    from purchasers_at_validation_cutoff
    inner join recency_scored_at_validation_cutoff
        on purchasers_at_validation_cutoff.customer_id = recency_scored_at_validation_cutoff.customer_id
    inner join frequency_scored_at_validation_cutoff
        on purchasers_at_validation_cutoff.customer_id = frequency_scored_at_validation_cutoff.customer_id
    inner join monetary_scored_at_validation_cutoff
        on purchasers_at_validation_cutoff.customer_id = monetary_scored_at_validation_cutoff.customer_id
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

-- a skipped fit leaves the probabilities null: the score then has no rows rather than a meaningless AUC
churn_probability_scores as (
    select
        'churn_probability' as score_name,
        'churned' as outcome_name,
        true as higher_score_predicts_outcome,
        purchasers_at_validation_cutoff.cutoff_date,
        purchasers_at_validation_cutoff.customer_id,
        customer_churn_probabilities.churn_probability as score_value,
        customer_churn_probabilities.churn_probability as predicted_outcome,
        case when purchasers_at_validation_cutoff.is_churned then 1 else 0 end as outcome
    from purchasers_at_validation_cutoff
    inner join customer_churn_probabilities
        on purchasers_at_validation_cutoff.customer_id = customer_churn_probabilities.customer_id
    where customer_churn_probabilities.cutoff_role = 'validation'
        and customer_churn_probabilities.churn_probability is not null
),

-- a failed BTYD fit leaves the predictions null: the score then has no rows
predicted_value_scores as (
    select
        'predicted_value' as score_name,
        'churned' as outcome_name,
        -- a customer expected to spend more is one expected to keep buying
        false as higher_score_predicts_outcome,
        purchasers_at_validation_cutoff.cutoff_date,
        purchasers_at_validation_cutoff.customer_id,
        cast(customer_value_predictions_at_validation_cutoff.predicted_value as {{ type_double() }}) as score_value,
        -- a value is no probability of churning (probability_alive is not one of no purchase in the horizon)
        cast(null as {{ type_double() }}) as predicted_outcome,
        case when purchasers_at_validation_cutoff.is_churned then 1 else 0 end as outcome
    from purchasers_at_validation_cutoff
    inner join customer_value_predictions_at_validation_cutoff
        on purchasers_at_validation_cutoff.customer_id = customer_value_predictions_at_validation_cutoff.customer_id
    where customer_value_predictions_at_validation_cutoff.predicted_value is not null
),

scores_unioned as (
    select * from rfm_composite_scores
    union all
    select * from churn_probability_scores
    union all
    select * from predicted_value_scores
)

select * from scores_unioned
