-- Order history of each customer up to the as-of date; frequency and monetary over the lookback window.
{%- set as_of = date_literal(as_of_date()) %}
{%- set window_start = date_literal(purchase_window_start_date()) %}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

orders_as_of as (
    select
        customer_id,
        status,
        is_purchase,
        net_amount,
        ordered_at,
        ordered_date,
        is_purchase and ordered_date >= {{ window_start }} as is_purchase_in_window
    from orders
    where ordered_date <= {{ as_of }}
),

summarized as (
    select
        customer_id,

        ----------  counts
        count(*) as order_count,
        cast(sum(case when is_purchase then 1 else 0 end) as {{ dbt.type_bigint() }}) as purchase_count,
        cast(sum(case when status = 'refunded' then 1 else 0 end) as {{ dbt.type_bigint() }}) as refunded_order_count,
        cast(sum(case when status = 'cancelled' then 1 else 0 end) as {{ dbt.type_bigint() }}) as cancelled_order_count,

        ----------  value
        sum(net_amount) as lifetime_revenue,

        ----------  lookback window
        cast(sum(case when is_purchase_in_window then 1 else 0 end) as {{ dbt.type_bigint() }}) as frequency,
        sum(case when is_purchase_in_window then net_amount else 0 end) as monetary,

        ----------  timestamps
        min(case when is_purchase then ordered_at end) as first_purchase_at,
        max(case when is_purchase then ordered_at end) as last_purchase_at

    from orders_as_of
    group by customer_id
)

select * from summarized
