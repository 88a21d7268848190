-- What each customer has bought in each product category, from the items of their purchases up to the
-- as-of date; refunded and cancelled orders bought nothing.
{%- set as_of = date_literal(as_of_date()) %}

with

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

purchased_items as (
    select
        orders.customer_id,
        orders.order_id,
        orders.ordered_at,
        order_items.category,
        order_items.quantity,
        order_items.quantity * order_items.unit_price as item_revenue
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
    where orders.is_purchase
        and orders.ordered_date <= {{ as_of }}
        -- an item without a category says nothing about which categories the customer buys
        and order_items.category is not null
),

summarized as (
    select
        customer_id,
        category,
        count(distinct order_id) as purchase_count,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as item_quantity,
        sum(item_revenue) as item_revenue,
        min(ordered_at) as first_purchased_at,
        max(ordered_at) as last_purchased_at
    from purchased_items
    group by customer_id, category
)

select * from summarized
