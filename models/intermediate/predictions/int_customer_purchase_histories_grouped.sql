-- The distinct purchase histories at each customer-value cutoff, with how many customers share each and how
-- many of them are in the fit sample: BG/NBD is fitted on the sampled counts and predicts for every row.
with

histories as (
    select * from {{ ref('int_customer_purchase_histories') }}
),

fit_sample as (
    select * from {{ ref('int_customer_purchase_histories_fit_sample') }}
),

grouped as (
    select
        histories.cutoff_role,
        histories.cutoff_date,
        histories.frequency,
        histories.recency_days,
        histories.age_days,
        cast(count(*) as {{ dbt.type_bigint() }}) as customer_count,
        cast(count(fit_sample.customer_id) as {{ dbt.type_bigint() }}) as fit_customer_count
    from histories
    left join fit_sample
        on histories.cutoff_role = fit_sample.cutoff_role
        and histories.customer_id = fit_sample.customer_id
    group by
        histories.cutoff_role, histories.cutoff_date, histories.frequency, histories.recency_days,
        histories.age_days
)

select * from grouped
