-- One row per customer known on the as-of date, with or without orders: the inputs of every score.
{%- set as_of = date_literal(as_of_date()) %}

with

customers as (
    select * from {{ ref('int_customers_reconciled') }}
),

customer_orders as (
    select * from {{ ref('int_customer_orders_summarized') }}
),

customer_engagement as (
    select * from {{ ref('int_customer_engagement_summarized') }}
),

customers_as_of as (
    select * from customers
    where cast(created_at as date) <= {{ as_of }}
),

summarized as (
    select
        ----------  ids
        customers_as_of.customer_id,
        {{ as_of }} as as_of_date,

        ----------  attributes
        customers_as_of.country,
        customers_as_of.gender,
        customers_as_of.birth_year,
        customers_as_of.acquisition_channel,

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

        ----------  engagement
        coalesce(customer_engagement.event_count, 0) as event_count,
        coalesce(customer_engagement.page_view_count, 0) as page_view_count,
        coalesce(customer_engagement.add_to_cart_count, 0) as add_to_cart_count,
        coalesce(customer_engagement.email_open_count, 0) as email_open_count,
        coalesce(customer_engagement.email_click_count, 0) as email_click_count,
        customer_engagement.latest_nps_score,

        ----------  timestamps and durations
        customers_as_of.created_at,
        customer_orders.first_purchase_at,
        customer_orders.last_purchase_at,
        customer_engagement.last_event_at,
        customer_engagement.latest_nps_responded_at,
        {{ dbt.datediff(
            'cast(customers_as_of.created_at as date)', as_of, 'day'
        ) }} as tenure_days

    from customers_as_of
    left join customer_orders
        on customers_as_of.customer_id = customer_orders.customer_id
    left join customer_engagement
        on customers_as_of.customer_id = customer_engagement.customer_id
)

select * from summarized
