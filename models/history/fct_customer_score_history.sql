-- Each customer's scores and segment on every as-of date a refresh has scored. A run adds the rows of its
-- as-of date and replaces them when the same date is scored again, so reruns are idempotent.
{{ config(
    unique_key='as_of_date',
    partition_by=['as_of_date'] if target.type == 'spark' else none,
) }}

with

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

customers as (
    select * from {{ ref('int_customers_summarized') }}
),

snapshot as (
    select
        ----------  ids
        customer_segments.customer_id,

        ----------  segment
        customer_segments.segment_name,
        customer_segments.is_vip,
        customer_segments.is_churn_risk,

        ----------  scores
        customer_segments.recency_score,
        customer_segments.frequency_score,
        customer_segments.monetary_score,
        customer_segments.composite_score,

        ----------  facts behind the scores
        customers.has_purchased,
        customers.recency_days,
        customers.frequency,
        customers.monetary,
        customers.purchase_count,
        customers.lifetime_revenue,
        customers.average_order_value,

        ----------  date (last: Spark keeps partition columns at the end)
        customer_segments.as_of_date

    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id
)

select * from snapshot
