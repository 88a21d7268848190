-- Segment sizes, revenue, average basket and average composite score on every as-of date in the history up
-- to the run's, with every segment of the seed on every date (empty ones as zeros). Segment names the
-- history holds but the seed no longer does (renamed or removed later) keep their rows, so each date's
-- counts still add up to its customers.
with

score_history as (
    select * from {{ ref('fct_customer_score_history') }}
),

segment_definitions as (
    select * from {{ ref('segment_definitions') }}
),

history_as_of as (
    select * from score_history
    where as_of_date <= {{ date_literal(as_of_date()) }}
),

snapshot_dates as (
    select distinct as_of_date from history_as_of
),

retired_segments as (
    select distinct history_as_of.segment_name
    from history_as_of
    left join segment_definitions
        on history_as_of.segment_name = segment_definitions.segment_name
    where segment_definitions.segment_name is null
),

all_segments as (
    select
        segment_name,
        display_order
    from segment_definitions
    union all
    select
        segment_name,
        cast(null as {{ dbt.type_int() }}) as display_order
    from retired_segments
),

segment_totals as (
    select
        as_of_date,
        segment_name,
        count(*) as customer_count,
        sum(monetary) as window_revenue,
        sum(lifetime_revenue) as lifetime_revenue,
        cast(sum(purchase_count) as {{ dbt.type_bigint() }}) as purchase_count,
        {{ exact_average('composite_score') }} as average_composite_score
    from history_as_of
    group by as_of_date, segment_name
),

date_totals as (
    select
        as_of_date,
        count(*) as customer_count
    from history_as_of
    group by as_of_date
),

summarized as (
    select
        snapshot_dates.as_of_date,
        all_segments.segment_name,
        all_segments.display_order,
        coalesce(segment_totals.customer_count, 0) as customer_count,
        coalesce(segment_totals.customer_count, 0) * 1.0 / date_totals.customer_count as customer_share,
        coalesce(segment_totals.window_revenue, 0) as window_revenue,
        -- the average basket: revenue per purchase over the segment's purchasers' whole history, as each
        -- customer's average_order_value is (prospects add neither revenue nor purchases)
        -- a double: Spark's decimal division would keep only 6 decimals
        cast(segment_totals.lifetime_revenue as {{ type_double() }}) / nullif(segment_totals.purchase_count, 0)
            as average_order_value,
        segment_totals.average_composite_score
    from snapshot_dates
    cross join all_segments
    inner join date_totals
        on snapshot_dates.as_of_date = date_totals.as_of_date
    left join segment_totals
        on snapshot_dates.as_of_date = segment_totals.as_of_date
        and all_segments.segment_name = segment_totals.segment_name
)

select * from summarized
