-- One row per customer known on the as-of date, with or without orders: the inputs of every score.
{%- set as_of = date_literal(as_of_date()) %}

with

customers as (
    select * from {{ ref('int_customers_reconciled') }}
),

customer_purchases as (
    select * from {{ ref('int_customer_purchases_as_of') }}
),

customer_engagement as (
    select * from {{ ref('int_customer_engagement_summarized') }}
),

summarized as (
    select
        ----------  ids
        customer_purchases.customer_id,
        customer_purchases.as_of_date,

        ----------  attributes
        customers.country,
        customers.gender,
        customers.birth_year,
        customers.acquisition_channel,

        ----------  orders
        customer_purchases.has_purchased,
        customer_purchases.order_count,
        customer_purchases.purchase_count,
        customer_purchases.refunded_order_count,
        customer_purchases.cancelled_order_count,
        customer_purchases.lifetime_revenue,
        customer_purchases.average_order_value,

        ----------  recency, frequency, monetary
        customer_purchases.recency_days,
        customer_purchases.frequency,
        customer_purchases.monetary,

        ----------  engagement
        coalesce(customer_engagement.event_count, 0) as event_count,
        coalesce(customer_engagement.page_view_count, 0) as page_view_count,
        coalesce(customer_engagement.add_to_cart_count, 0) as add_to_cart_count,
        coalesce(customer_engagement.email_open_count, 0) as email_open_count,
        coalesce(customer_engagement.email_click_count, 0) as email_click_count,
        customer_engagement.latest_nps_score,

        ----------  timestamps and durations
        customers.created_at,
        customer_purchases.first_purchase_at,
        customer_purchases.last_purchase_at,
        customer_engagement.last_event_at,
        customer_engagement.latest_nps_responded_at,
        {{ dbt.datediff(
            'cast(customers.created_at as date)', as_of, 'day'
        ) }} as tenure_days

    from customer_purchases
    inner join customers
        on customer_purchases.customer_id = customers.customer_id
    left join customer_engagement
        on customer_purchases.customer_id = customer_engagement.customer_id
)

select * from summarized
