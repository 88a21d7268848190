-- The distinct (repeat purchases, average repeat-purchase value) pairs of the sampled customers with repeat
-- purchases at each customer-value cutoff, with how many customers share each: what Gamma-Gamma is fitted on.
with

fit_sample as (
    select * from {{ ref('int_customer_purchase_histories_fit_sample') }}
),

grouped as (
    select
        cutoff_role,
        cutoff_date,
        frequency,
        average_repeat_purchase_value,
        cast(count(*) as {{ dbt.type_bigint() }}) as customer_count
    from fit_sample
    where frequency > 0
    group by cutoff_role, cutoff_date, frequency, average_repeat_purchase_value
)

select * from grouped
