-- The purchase histories BG/NBD and Gamma-Gamma are fitted on at each customer-value cutoff: all of them,
-- or a fixed pseudo-random sample of `model_fit_max_customers` customers when there are more, so the fits'
-- cost stays put as customers grow. Predictions still cover every history (int_customer_purchase_histories_grouped).
with

histories as (
    select * from {{ ref('int_customer_purchase_histories') }}
),

fit_sample as (
    {{ scorehouse.model_fit_sample('histories', ['validation', 'scoring']) }}
)

select * from fit_sample
