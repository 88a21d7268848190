-- Customer value of every customer with a purchase at each customer-value cutoff: the fitted lookup joined
-- back by history, finished per customer with their own spend (Gamma-Gamma's expected spend is linear in it).
{{ config(tags=['uses_fitted_models']) }}

with

histories as (
    select * from {{ ref('int_customer_purchase_histories') }}
),

predictions as (
    select * from {{ ref('stg_fitted_models__customer_value_predictions') }}
),

histories_predicted as (
    select
        histories.customer_id,
        histories.cutoff_role,
        histories.cutoff_date,
        histories.frequency,
        histories.recency_days,
        histories.age_days,
        histories.average_repeat_purchase_value,
        predictions.model_version,
        predictions.horizon_days,
        predictions.expected_purchases,
        predictions.probability_alive,
        predictions.discounted_expected_purchases,
        predictions.spend_population_weight * predictions.population_mean_spend
        + (1 - predictions.spend_population_weight) * coalesce(histories.average_repeat_purchase_value, 0)
            as expected_average_spend
    from histories
    left join predictions
        on histories.cutoff_role = predictions.cutoff_role
        and histories.frequency = predictions.frequency
        and histories.recency_days = predictions.recency_days
        and histories.age_days = predictions.age_days
),

valued as (
    select
        customer_id,
        cutoff_role,
        cutoff_date,
        frequency,
        recency_days,
        age_days,
        average_repeat_purchase_value,
        model_version,
        horizon_days,
        expected_purchases,
        probability_alive,
        expected_average_spend,
        expected_average_spend * discounted_expected_purchases as predicted_value
    from histories_predicted
)

select * from valued
