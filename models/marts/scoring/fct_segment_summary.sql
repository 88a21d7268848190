-- One row per segment for BI: size, share, revenue, average scores and the range of its members' recency,
-- frequency and monetary, including empty segments, with why a segment of the map is empty or which of its
-- cells the current scores cannot reach.
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

segment_map_cells as (
    select * from {{ ref('fct_segment_map_cells') }}
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
        customers.recency_days,
        customers.frequency,
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
        sum(case when is_vip then 1 else 0 end) as vip_customer_count,
        min(recency_days) as min_recency_days,
        max(recency_days) as max_recency_days,
        min(frequency) as min_frequency,
        max(frequency) as max_frequency,
        min(monetary) as min_monetary,
        max(monetary) as max_monetary
    from segment_members
    group by segment_name
),

segment_cells as (
    select
        segment_name,
        count(*) as map_cell_count,
        sum(case when is_reachable then 1 else 0 end) as reachable_cell_count
    from segment_map_cells
    where segment_name is not null
    group by segment_name
),

unreachable_cells as (
    select
        segment_name,
        {{ dbt.listagg(
            dbt.concat([
                "'R'", "cast(recency_score as " ~ dbt.type_string() ~ ")",
                "' x FM'", "cast(frequency_monetary_score as " ~ dbt.type_string() ~ ")",
                "': '", "unreachable_reason",
            ]),
            "'; '",
            'order by recency_score, frequency_monetary_score',
        ) }} as unreachable_map_cells
    from segment_map_cells
    where segment_name is not null
        and not is_reachable
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
        coalesce(segment_totals.vip_customer_count, 0) as vip_customer_count,
        segment_totals.min_recency_days,
        segment_totals.max_recency_days,
        segment_totals.min_frequency,
        segment_totals.max_frequency,
        segment_totals.min_monetary,
        segment_totals.max_monetary,
        unreachable_cells.unreachable_map_cells,
        case
            when segment_cells.map_cell_count is null or segment_totals.customer_count is not null then null
            when segment_cells.reachable_cell_count = 0 then 'the current scores reach none of its map cells'
            else 'its map cells can be reached, but no buyer has those scores together'
        end as empty_reason
    from segment_definitions
    cross join all_customers
    left join segment_totals
        on segment_definitions.segment_name = segment_totals.segment_name
    left join segment_cells
        on segment_definitions.segment_name = segment_cells.segment_name
    left join unreachable_cells
        on segment_definitions.segment_name = unreachable_cells.segment_name
)

select * from summarized
