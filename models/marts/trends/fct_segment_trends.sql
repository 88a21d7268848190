-- Per segment, purchases and basket in the last `trend_window_days` up to the as-of date against the window
-- of the same length just before it. Customers count in the segment they are in on the as-of date.
{%- set windows = trend_windows() %}
{%- set as_of = date_literal(as_of_date()) %}
{%- set current_start = date_literal(windows.current_start_date) %}
{%- set prior_start = date_literal(windows.prior_start_date) %}

with

orders as (
    select * from {{ ref('int_orders_reconciled') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

segment_definitions as (
    select * from {{ ref('segment_definitions') }}
),

purchases_in_windows as (
    select
        customer_id,
        net_amount,
        ordered_date >= {{ current_start }} as is_in_current_window,
        ordered_date < {{ current_start }} as is_in_prior_window
    from orders
    where is_purchase
        and ordered_date between {{ prior_start }} and {{ as_of }}
),

segment_sizes as (
    select
        segment_name,
        count(*) as customer_count
    from customer_segments
    group by segment_name
),

purchases_by_segment as (
    select
        customer_segments.segment_name,
        purchases_in_windows.customer_id,
        purchases_in_windows.net_amount,
        purchases_in_windows.is_in_current_window,
        purchases_in_windows.is_in_prior_window
    from purchases_in_windows
    inner join customer_segments
        on purchases_in_windows.customer_id = customer_segments.customer_id
),

segment_purchases as (
    select
        segment_name,

        ----------  current window
        cast(sum(case when is_in_current_window then 1 else 0 end) as {{ dbt.type_bigint() }})
            as current_purchase_count,
        count(distinct case when is_in_current_window then customer_id end) as current_purchasing_customer_count,
        sum(case when is_in_current_window then net_amount else 0 end) as current_net_revenue,

        ----------  prior window
        cast(sum(case when is_in_prior_window then 1 else 0 end) as {{ dbt.type_bigint() }})
            as prior_purchase_count,
        count(distinct case when is_in_prior_window then customer_id end) as prior_purchasing_customer_count,
        sum(case when is_in_prior_window then net_amount else 0 end) as prior_net_revenue

    from purchases_by_segment
    group by segment_name
),

every_segment as (
    -- segments without customers or without purchases keep a row, with zero counts
    select
        segment_definitions.segment_name,
        segment_definitions.display_order,
        {{ as_of }} as as_of_date,
        {{ current_start }} as current_window_start_date,
        {{ prior_start }} as prior_window_start_date,
        {{ date_literal(windows.prior_end_date) }} as prior_window_end_date,
        coalesce(segment_sizes.customer_count, 0) as customer_count,
        coalesce(segment_purchases.current_purchase_count, 0) as current_purchase_count,
        coalesce(segment_purchases.prior_purchase_count, 0) as prior_purchase_count,
        coalesce(segment_purchases.current_purchasing_customer_count, 0) as current_purchasing_customer_count,
        coalesce(segment_purchases.prior_purchasing_customer_count, 0) as prior_purchasing_customer_count,
        coalesce(segment_purchases.current_net_revenue, 0) as current_net_revenue,
        coalesce(segment_purchases.prior_net_revenue, 0) as prior_net_revenue
    from segment_definitions
    left join segment_sizes
        on segment_definitions.segment_name = segment_sizes.segment_name
    left join segment_purchases
        on segment_definitions.segment_name = segment_purchases.segment_name
),

averaged as (
    select
        *,
        -- no purchase, no basket; an empty segment has no frequency
        cast(current_net_revenue as {{ type_double() }}) / nullif(current_purchase_count, 0)
            as current_average_basket,
        cast(prior_net_revenue as {{ type_double() }}) / nullif(prior_purchase_count, 0)
            as prior_average_basket,
        cast(current_purchase_count as {{ type_double() }}) / nullif(customer_count, 0)
            as current_purchases_per_customer,
        cast(prior_purchase_count as {{ type_double() }}) / nullif(customer_count, 0)
            as prior_purchases_per_customer
    from every_segment
),

compared as (
    select
        *,
        -- relative to the prior window: 0.25 is a quarter more; null when the prior value is 0 or missing
        current_average_basket / nullif(prior_average_basket, 0) - 1 as average_basket_change,
        current_purchases_per_customer / nullif(prior_purchases_per_customer, 0) - 1 as purchase_frequency_change
    from averaged
)

select * from compared
