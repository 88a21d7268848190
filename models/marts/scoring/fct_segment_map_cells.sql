-- One row per cell of the 5 x 5 R x FM grid of the segment map: its segment, its customers, and whether the
-- current score distribution can reach it at all, with the reason when it cannot. A cell is reachable when
-- some buyer has its recency score on the grid and some frequency and monetary scores in use average to its
-- FM score; a reachable cell may still be empty when no buyer has both together.
with

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

segment_rfm_map as (
    select * from {{ ref('segment_rfm_map') }}
),

grid_cells as (
    {{ segment_grid_cells() }}
),

buyers_on_grid as (
    select
        segment_recency_score,
        segment_frequency_monetary_score,
        {{ segment_grid_score('frequency_score') }} as segment_frequency_score,
        {{ segment_grid_score('monetary_score') }} as segment_monetary_score
    from customer_segments
    where segment_recency_score is not null
),

recency_scores_in_use as (
    select distinct segment_recency_score from buyers_on_grid
),

frequency_scores_in_use as (
    select distinct segment_frequency_score from buyers_on_grid
),

monetary_scores_in_use as (
    select distinct segment_monetary_score from buyers_on_grid
),

-- every FM score some F and M in use give together (the mean on the grid, halves rounded up, as the map)
frequency_monetary_scores_reachable as (
    select distinct
        cast(floor(
            (frequency_scores_in_use.segment_frequency_score + monetary_scores_in_use.segment_monetary_score) / 2.0
            + 0.5
        ) as {{ dbt.type_int() }}) as segment_frequency_monetary_score
    from frequency_scores_in_use
    cross join monetary_scores_in_use
),

scores_in_use as (
    select
        min(segment_frequency_score) as lowest_frequency_score,
        max(segment_frequency_score) as highest_frequency_score,
        min(segment_monetary_score) as lowest_monetary_score,
        max(segment_monetary_score) as highest_monetary_score
    from buyers_on_grid
),

cell_customers as (
    select
        segment_recency_score,
        segment_frequency_monetary_score,
        count(*) as customer_count
    from buyers_on_grid
    group by segment_recency_score, segment_frequency_monetary_score
),

cells_checked as (
    select
        grid_cells.recency_score,
        grid_cells.frequency_monetary_score,
        segment_rfm_map.segment_name,
        coalesce(cell_customers.customer_count, 0) as customer_count,
        recency_scores_in_use.segment_recency_score is not null as has_recency_score_in_use,
        frequency_monetary_scores_reachable.segment_frequency_monetary_score is not null
            as has_frequency_monetary_score_reachable,
        scores_in_use.lowest_frequency_score,
        scores_in_use.highest_frequency_score,
        scores_in_use.lowest_monetary_score,
        scores_in_use.highest_monetary_score
    from grid_cells
    cross join scores_in_use
    left join segment_rfm_map
        on {{ segment_rectangle_contains(
            'segment_rfm_map', 'grid_cells.recency_score', 'grid_cells.frequency_monetary_score'
        ) }}
    left join cell_customers
        on grid_cells.recency_score = cell_customers.segment_recency_score
        and grid_cells.frequency_monetary_score = cell_customers.segment_frequency_monetary_score
    left join recency_scores_in_use
        on grid_cells.recency_score = recency_scores_in_use.segment_recency_score
    left join frequency_monetary_scores_reachable
        on grid_cells.frequency_monetary_score = frequency_monetary_scores_reachable.segment_frequency_monetary_score
),

explained as (
    select
        recency_score,
        frequency_monetary_score,
        segment_name,
        {{ date_literal(as_of_date()) }} as as_of_date,
        customer_count,
        has_recency_score_in_use and has_frequency_monetary_score_reachable as is_reachable,
        case
            when not has_recency_score_in_use and not has_frequency_monetary_score_reachable
                then
                {{ dbt.concat([
                    "'no buyer has recency score '",
                    "cast(recency_score as " ~ dbt.type_string() ~ ")",
                    "' on the grid; '",
                    "'no frequency and monetary scores in use average to '",
                    "cast(frequency_monetary_score as " ~ dbt.type_string() ~ ")",
                ]) }}
            when not has_recency_score_in_use
                then
                {{ dbt.concat([
                    "'no buyer has recency score '",
                    "cast(recency_score as " ~ dbt.type_string() ~ ")",
                    "' on the grid'",
                ]) }}
            when not has_frequency_monetary_score_reachable then
                {{ dbt.concat([
                    "'no frequency and monetary scores in use average to '",
                    "cast(frequency_monetary_score as " ~ dbt.type_string() ~ ")",
                    "' (F in use '",
                    "cast(lowest_frequency_score as " ~ dbt.type_string() ~ ")",
                    "' to '",
                    "cast(highest_frequency_score as " ~ dbt.type_string() ~ ")",
                    "', M '",
                    "cast(lowest_monetary_score as " ~ dbt.type_string() ~ ")",
                    "' to '",
                    "cast(highest_monetary_score as " ~ dbt.type_string() ~ ")",
                    "')'",
                ]) }}
        end as unreachable_reason
    from cells_checked
)

select * from explained
