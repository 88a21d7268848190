-- Every rectangle of the segment map must lie within the recency and frequency-monetary ranges its segment
-- promises in segment_definitions, so that editing either seed cannot place buyers where the description
-- says they are not. Returns the rectangles that leave their segment's ranges (or whose segment promises none).
with

segment_rfm_map as (
    select * from {{ ref('segment_rfm_map') }}
),

segment_definitions as (
    select * from {{ ref('segment_definitions') }}
),

rectangles_checked as (
    select
        segment_rfm_map.segment_name,
        segment_rfm_map.recency_score_min,
        segment_rfm_map.recency_score_max,
        segment_rfm_map.frequency_monetary_score_min,
        segment_rfm_map.frequency_monetary_score_max,
        -- a segment that promises no range (null bounds) keeps no rectangle within it
        coalesce(
            segment_rfm_map.recency_score_min >= segment_definitions.recency_score_min
            and segment_rfm_map.recency_score_max <= segment_definitions.recency_score_max
            and segment_rfm_map.frequency_monetary_score_min >= segment_definitions.frequency_monetary_score_min
            and segment_rfm_map.frequency_monetary_score_max <= segment_definitions.frequency_monetary_score_max,
            false
        ) as is_within_promise
    from segment_rfm_map
    inner join segment_definitions
        on segment_rfm_map.segment_name = segment_definitions.segment_name
),

rectangles_outside_promises as (
    select
        segment_name,
        recency_score_min,
        recency_score_max,
        frequency_monetary_score_min,
        frequency_monetary_score_max
    from rectangles_checked
    where not is_within_promise
)

select * from rectangles_outside_promises
