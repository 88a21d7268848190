-- The distinct purchase histories at each customer-value cutoff, with how many customers share each: what
-- BG/NBD is fitted on and predicts for, so Python handles one row per history, never one per customer.
with

histories as (
    select * from {{ ref('int_customer_purchase_histories') }}
),

grouped as (
    select
        cutoff_role,
        cutoff_date,
        frequency,
        recency_days,
        age_days,
        cast(count(*) as {{ dbt.type_bigint() }}) as customer_count
    from histories
    group by cutoff_role, cutoff_date, frequency, recency_days, age_days
)

select * from grouped
