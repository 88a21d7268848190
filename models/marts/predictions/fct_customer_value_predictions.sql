-- Predicted customer value at the as-of date, one row per customer with a purchase on or before it.
{{ config(tags=['uses_fitted_models']) }}

with

customer_value_predictions as (
    select * from {{ ref('int_customer_value_predictions') }}
),

at_as_of_date as (
    select
        customer_id,
        cutoff_date as as_of_date,
        -- named for readers of the scoring marts, where recency_days and frequency mean something else
        frequency as repeat_purchase_days,
        recency_days as first_to_last_purchase_days,
        age_days as days_since_first_purchase,
        average_repeat_purchase_value,
        horizon_days,
        expected_purchases,
        probability_alive,
        expected_average_spend,
        predicted_value,
        model_version
    from customer_value_predictions
    where cutoff_role = 'scoring'
)

select * from at_as_of_date
