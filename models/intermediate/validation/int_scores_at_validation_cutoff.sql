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

rfm_scores_at_validation_cutoff as (
    select * from {{ ref('int_rfm_scores_at_cutoffs') }}
    where cutoff_role = 'validation'
),

score_criteria_at_validation_cutoff as (
    select * from {{ ref('int_score_criteria_at_cutoffs') }}
    where cutoff_role = 'validation'
),

score_weight_versions as (
    select * from {{ ref('stg_fitted_models__score_weight_versions') }}
),

latest_suggested_weights as (
    select
        criterion,
        suggested_weight
    from score_weight_versions
    where
        model_version = (select max(versions.model_version) from score_weight_versions as versions)
        and status = 'fitted'
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

rfm_scored_at_validation_cutoff as (
    select
        purchasers_at_validation_cutoff.customer_id,
        purchasers_at_validation_cutoff.cutoff_date,
        purchasers_at_validation_cutoff.is_churned,
        rfm_scores_at_validation_cutoff.recency_score,
        rfm_scores_at_validation_cutoff.frequency_score,
        rfm_scores_at_validation_cutoff.monetary_score
    from purchasers_at_validation_cutoff
    inner join rfm_scores_at_validation_cutoff
        on purchasers_at_validation_cutoff.customer_id = rfm_scores_at_validation_cutoff.customer_id
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

-- the criteria of the composite that have values at V under their current weights and under the latest
-- suggested ones (fct_score_weight_review compares the two); with seed score_criteria empty the current
-- weighting is the RFM composite, validated above, and a skipped fit suggests nothing
criteria_weighted as (
    select
        'composite_current_weights' as score_name,
        customer_id,
        cutoff_date,
        is_churned,
        normalised_value,
        cast(weight as {{ type_double() }}) as weight
    from score_criteria_at_validation_cutoff
    where is_from_score_criteria
    union all
    select
        'composite_suggested_weights' as score_name,
        criteria.customer_id,
        criteria.cutoff_date,
        criteria.is_churned,
        criteria.normalised_value,
        latest_suggested_weights.suggested_weight as weight
    from score_criteria_at_validation_cutoff as criteria
    inner join latest_suggested_weights
        on criteria.criterion = latest_suggested_weights.criterion
),

weighted_composite_scores as (
    select
        score_name,
        'churned' as outcome_name,
        -- as the RFM composite: a high composite is the buyer least likely to churn
        false as higher_score_predicts_outcome,
        max(cutoff_date) as cutoff_date,
        customer_id,
        -- summed in exact decimals, as the composite's points are: a float sum depends on the order the
        -- rows arrive in, so a rerun on the same data gave other last bits and could move a decile boundary
        100 * cast(sum(cast(weight * normalised_value as decimal(38, 12))) as {{ type_double() }})
        / nullif(cast(sum(cast(weight as decimal(38, 12))) as {{ type_double() }}), 0) as score_value,
        cast(null as {{ type_double() }}) as predicted_outcome,
        max(case when is_churned then 1 else 0 end) as outcome
    from criteria_weighted
    group by score_name, customer_id
),

scores_unioned as (
    select * from rfm_composite_scores
    union all
    select * from churn_probability_scores
    union all
    select * from predicted_value_scores
    union all
    select * from weighted_composite_scores
)

select * from scores_unioned
