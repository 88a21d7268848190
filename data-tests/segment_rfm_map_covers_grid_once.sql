-- Every cell of the 5 x 5 R x FM grid must fall in exactly one rectangle of the segment map,
-- so every scored customer gets exactly one segment. Returns the cells that do not.
with

segment_rfm_map as (
    select * from {{ ref('segment_rfm_map') }}
),

grid_cells as (
    {{ segment_grid_cells() }}
),

cell_matches as (
    select
        grid_cells.recency_score,
        grid_cells.frequency_monetary_score,
        count(segment_rfm_map.segment_name) as matching_rectangles
    from grid_cells
    left join segment_rfm_map
        on {{ segment_rectangle_contains(
            'segment_rfm_map', 'grid_cells.recency_score', 'grid_cells.frequency_monetary_score'
        ) }}
    group by grid_cells.recency_score, grid_cells.frequency_monetary_score
)

select * from cell_matches
where matching_rectangles <> 1
