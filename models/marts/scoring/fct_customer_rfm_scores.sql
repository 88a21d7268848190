-- R, F and M scores of every customer as of the as-of date. Only customers with a purchase are scored;
-- prospects keep null scores.
with

customers as (
    select * from {{ ref('int_customer_purchases_as_of') }}
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

recency_scored as (
    {{ rfm_dimension_scores('purchasers', 'recency') }}
),

frequency_scored as (
    {{ rfm_dimension_scores('purchasers', 'frequency') }}
),

monetary_scored as (
    {{ rfm_dimension_scores('purchasers', 'monetary') }}
),

joined as (
    select
        customers.customer_id,
        customers.as_of_date,
        customers.has_purchased,
        customers.recency_days,
        customers.frequency,
        customers.monetary,
        recency_scored.recency_score,
        frequency_scored.frequency_score,
        monetary_scored.monetary_score
    from customers
    left join recency_scored
        on customers.customer_id = recency_scored.customer_id
    left join frequency_scored
        on customers.customer_id = frequency_scored.customer_id
    left join monetary_scored
        on customers.customer_id = monetary_scored.customer_id
)

select * from joined
