-- How many scored customers sit in each cell of the recency x frequency score grid, for the report's
-- heatmap and BI, so nobody needs to read customer rows to draw it.
with

rfm_scores as (
    select * from {{ ref('fct_customer_rfm_scores') }}
),

scored_customers as (
    select * from rfm_scores
    where has_purchased
),

grid_cells as (
    select
        recency_score,
        frequency_score,
        {{ date_literal(as_of_date()) }} as as_of_date,
        count(*) as customer_count,
        sum(monetary) as window_revenue,
        {{ exact_average('monetary_score') }} as average_monetary_score
    from scored_customers
    group by recency_score, frequency_score
)

select * from grid_cells
