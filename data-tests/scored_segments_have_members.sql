-- Warns about every segment of the map that has no customer and every map cell the current score
-- distribution cannot reach, with the reason (fct_segment_summary.empty_reason, fct_segment_map_cells): an empty
-- segment is a campaign with nobody to send to, usually because ties leave a score unused.
{{ config(severity='warn') }}

with

fct_segment_summary as (
    select * from {{ ref('fct_segment_summary') }}
),

segment_map_cells as (
    select * from {{ ref('fct_segment_map_cells') }}
),

empty_segments as (
    select
        'empty segment' as finding,
        segment_name,
        cast(null as {{ dbt.type_int() }}) as recency_score,
        cast(null as {{ dbt.type_int() }}) as frequency_monetary_score,
        empty_reason as reason
    from fct_segment_summary
    where empty_reason is not null
),

unreachable_cells as (
    select
        'unreachable map cell' as finding,
        segment_name,
        recency_score,
        frequency_monetary_score,
        unreachable_reason as reason
    from segment_map_cells
    where not is_reachable
),

findings as (
    select * from empty_segments
    union all
    select * from unreachable_cells
)

select * from findings
