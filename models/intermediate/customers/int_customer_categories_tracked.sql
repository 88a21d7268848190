-- What each customer has bought in each product category, kept up to date incrementally: a run recomputes
-- only the customers whose orders or items changed or crossed the as-of date, each with one marker row
-- (category null) so that a customer left with no categorised purchase loses its old rows too.
-- int_customer_categories_summarized reads it without the markers.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='customer_id',
) }}
{%- set as_of = date_literal(as_of_date()) %}

-- the checked rows and identity changes are read only by an incremental build; dbt must know they come first
-- depends_on: {{ ref('stg_shop__orders_checked') }}
-- depends_on: {{ ref('stg_shop__order_items_checked') }}
-- depends_on: {{ ref('int_customer_identity') }}
with

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

orders as (
    select * from {{ ref('int_orders_reconciled') }}
),

{% if is_incremental() %}
-- every order and item row with the run that last checked it, for incremental runs
orders_checked as (
    select * from {{ ref('stg_shop__orders_checked') }}
),

order_items_checked as (
    select * from {{ ref('stg_shop__order_items_checked') }}
),

customers_to_summarize as (
    {{ customers_to_resummarize('orders_checked', 'cast(checked.ordered_at as date)') }}
    union
    -- items (re)checked since: a late item, or one that waited in quarantine for its order
    select orders.customer_id
    from order_items_checked
    inner join orders
        on order_items_checked.order_id = orders.order_id
    where order_items_checked.checked_at > (
        select coalesce(max(summarized_at), cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }}))
        from {{ this }}
    )
),

{% endif %}
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
    {% if is_incremental() %}
    {{ join_recomputed_customers('orders', 'customers_to_summarize') }}
    {% endif %}
    where orders.is_purchase
        and orders.ordered_date <= {{ as_of }}
        -- an item without a category says nothing about which categories the customer buys
        and order_items.category is not null
    {% if is_incremental() %}
    union all
    select
        customer_id,
        cast(null as {{ dbt.type_string() }}) as order_id,
        cast(null as {{ api.Column.translate_type('timestamp') }}) as ordered_at,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ dbt.type_int() }}) as quantity,
        cast(null as {{ dbt.type_numeric() }}) as item_revenue
    from customers_to_summarize
    {% endif %}
),

-- one row per order and category first, so each customer and category counts its orders with a plain count: a
-- count(distinct) beside the other aggregates made DuckDB keep every purchased item and join two aggregations
purchased_orders as (
    select
        customer_id,
        category,
        order_id,
        min(ordered_at) as ordered_at,
        sum(quantity) as quantity,
        sum(item_revenue) as item_revenue
    from purchased_items
    group by customer_id, category, order_id
),

summarized as (
    select
        customer_id,
        category,
        -- a marker row has no order
        count(order_id) as purchase_count,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as item_quantity,
        sum(item_revenue) as item_revenue,
        min(ordered_at) as first_purchased_at,
        max(ordered_at) as last_purchased_at,

        ----------  what the next incremental run compares against
        {{ as_of }} as as_of_date,
        {{ date_literal(purchase_window_start_date()) }} as window_start_date,
        {{ run_started_timestamp() }} as summarized_at
    from purchased_orders
    group by customer_id, category
)

select * from summarized
