-- What each customer has bought in each product category, from the items of their purchases up to the
-- as-of date; refunded and cancelled orders bought nothing. A view of int_customer_categories_tracked
-- without its incremental markers.
{{ config(materialized='view') }}

with

customer_categories_tracked as (
    select * from {{ ref('int_customer_categories_tracked') }}
),

bought_categories as (
    select
        customer_id,
        category,
        purchase_count,
        item_quantity,
        item_revenue,
        first_purchased_at,
        last_purchased_at
    from customer_categories_tracked
    where category is not null
)

select * from bought_categories
