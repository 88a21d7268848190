-- One row per segment for BI: size, share, revenue and average scores, including empty segments.
with

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

customers as (
    select * from {{ ref('int_customers_summarized') }}
),

segment_definitions as (
    select * from {{ ref('segment_definitions') }}
),

segment_members as (
    select
        customer_segments.segment_name,
        customer_segments.recency_score,
        customer_segments.frequency_score,
        customer_segments.monetary_score,
        customer_segments.composite_score,
        customer_segments.is_vip,
        customer_segments.is_churn_risk,
        customers.monetary,
        customers.lifetime_revenue
    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id
),

segment_totals as (
    select
        segment_name,
        count(*) as customer_count,
        sum(monetary) as window_revenue,
        sum(lifetime_revenue) as lifetime_revenue,
        avg(recency_score) as average_recency_score,
        avg(frequency_score) as average_frequency_score,
        avg(monetary_score) as average_monetary_score,
        {{ exact_average('composite_score') }} as average_composite_score,
        sum(case when is_vip then 1 else 0 end) as vip_customer_count
    from segment_members
    group by segment_name
),

all_customers as (
    select count(*) as customer_count from customer_segments
),

summarized as (
    select
        segment_definitions.segment_name,
        segment_definitions.display_order,
        segment_definitions.description,
        segment_definitions.is_churn_risk,
        {{ date_literal(as_of_date()) }} as as_of_date,
        coalesce(segment_totals.customer_count, 0) as customer_count,
        coalesce(segment_totals.customer_count, 0) * 1.0 / nullif(all_customers.customer_count, 0)
            as customer_share,
        coalesce(segment_totals.window_revenue, 0) as window_revenue,
        coalesce(segment_totals.lifetime_revenue, 0) as lifetime_revenue,
        segment_totals.average_recency_score,
        segment_totals.average_frequency_score,
        segment_totals.average_monetary_score,
        segment_totals.average_composite_score,
        coalesce(segment_totals.vip_customer_count, 0) as vip_customer_count
    from segment_definitions
    cross join all_customers
    left join segment_totals
        on segment_definitions.segment_name = segment_totals.segment_name
)

select * from summarized
