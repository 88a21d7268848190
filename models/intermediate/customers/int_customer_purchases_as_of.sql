-- One row per customer known on the as-of date, with what they bought up to it: the inputs of the R/F/M
-- scores. A view, so the R/F/M scores wait only for the customers and their orders; int_customers_summarized
-- adds engagement.
{{ config(materialized='view') }}
{%- set as_of = date_literal(as_of_date()) %}

with

customers as (
    select * from {{ ref('int_customers_reconciled') }}
),

customer_orders as (
    select * from {{ ref('int_customer_orders_summarized') }}
),

customers_as_of as (
    select * from customers
    where cast(created_at as date) <= {{ as_of }}
),

purchases as (
    select
        ----------  ids
        customers_as_of.customer_id,
        {{ as_of }} as as_of_date,

        ----------  orders
        coalesce(customer_orders.purchase_count, 0) > 0 as has_purchased,
        coalesce(customer_orders.order_count, 0) as order_count,
        coalesce(customer_orders.purchase_count, 0) as purchase_count,
        coalesce(customer_orders.refunded_order_count, 0) as refunded_order_count,
        coalesce(customer_orders.cancelled_order_count, 0) as cancelled_order_count,
        coalesce(customer_orders.lifetime_revenue, 0) as lifetime_revenue,
        -- a double: Spark's decimal division would keep only 6 decimals
        cast(customer_orders.lifetime_revenue as {{ type_double() }}) / nullif(customer_orders.purchase_count, 0)
            as average_order_value,

        ----------  recency, frequency, monetary
        {{ dbt.datediff(
            'cast(customer_orders.last_purchase_at as date)', as_of, 'day'
        ) }} as recency_days,
        coalesce(customer_orders.frequency, 0) as frequency,
        coalesce(customer_orders.monetary, 0) as monetary,

        ----------  timestamps
        customer_orders.first_purchase_at,
        customer_orders.last_purchase_at

    from customers_as_of
    left join customer_orders
        on customers_as_of.customer_id = customer_orders.customer_id
)

select * from purchases
