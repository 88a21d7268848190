-- R, F and M scores of every customer as of the as-of date. Only customers with a purchase are ranked;
-- prospects keep null scores.
with

customers as (
    select * from {{ ref('int_customers_summarized') }}
),

purchasers as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary
    from customers
    where has_purchased
),

scored as (
    select
        customer_id,
        -- fewer days since the last purchase is better, so recency ranks in reverse
        {{ rfm_score('recency_days', higher_is_better=false) }} as recency_score,
        {{ rfm_score('frequency') }} as frequency_score,
        {{ rfm_score('monetary') }} as monetary_score
    from purchasers
),

joined as (
    select
        customers.customer_id,
        customers.as_of_date,
        customers.has_purchased,
        customers.recency_days,
        customers.frequency,
        customers.monetary,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score
    from customers
    left join scored
        on customers.customer_id = scored.customer_id
)

select * from joined
