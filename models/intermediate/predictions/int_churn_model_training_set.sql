-- The buyers at the training cutoff the churn model is fitted on: all of them, or a fixed pseudo-random
-- sample of `model_fit_max_customers` when there are more, so the fit's cost stays put as customers grow.
with

buyers_at_cutoffs as (
    select * from {{ ref('int_customer_features_at_cutoffs') }}
    where has_purchased
),

training_set as (
    {{ scorehouse.model_fit_sample('buyers_at_cutoffs', ['training']) }}
)

select * from training_set
