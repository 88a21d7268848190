-- Customer value as predicted at the validation cutoff (the as-of date minus the horizon), for checking
-- against what customers did in the horizon up to the as-of date.
{{ config(tags=['uses_fitted_models']) }}

with

customer_value_predictions as (
    select * from {{ ref('int_customer_value_predictions') }}
),

at_validation_cutoff as (
    select
        customer_id,
        cutoff_date,
        horizon_days,
        predicted_value,
        expected_purchases,
        probability_alive,
        expected_average_spend
    from customer_value_predictions
    where cutoff_role = 'validation'
)

select * from at_validation_cutoff
