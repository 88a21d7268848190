-- The segment of every customer: a named R x FM segment from the segment map (prospect without a
-- purchase), the VIP flag (top composite scores) and the churn-risk flag (segments marked in the seed).
{%- set vip_top_percent = numeric_var('vip_top_percent', 0, 100) %}

with

customer_scores as (
    select * from {{ ref('fct_customer_scores') }}
),

segment_rfm_map as (
    select * from {{ ref('segment_rfm_map') }}
),

segment_definitions as (
    select * from {{ ref('segment_definitions') }}
),

on_segment_grid as (
    select
        customer_id,
        {{ segment_grid_score('recency_score') }} as segment_recency_score,
        {{ segment_grid_score('frequency_score') }} as segment_frequency_score,
        {{ segment_grid_score('monetary_score') }} as segment_monetary_score
    from customer_scores
    where has_purchased
),

with_frequency_monetary as (
    select
        *,
        -- mean of F and M on the grid, halves rounded up
        cast(floor((segment_frequency_score + segment_monetary_score) / 2.0 + 0.5) as {{ dbt.type_int() }})
            as segment_frequency_monetary_score
    from on_segment_grid
),

composite_ranked as (
    select
        customer_id,
        -- equal composite scores share a rank, so ties at the cut-off are all VIP or none
        rank() over (order by composite_score desc) as composite_rank,
        count(*) over () as scored_customer_count
    from customer_scores
    where has_purchased
),

segmented as (
    select
        customer_scores.customer_id,
        customer_scores.as_of_date,
        -- a purchaser outside every map rectangle keeps a null segment, which the not_null test reports
        case
            when customer_scores.has_purchased then segment_rfm_map.segment_name
            else 'prospect'
        end as segment_name,
        customer_scores.recency_score,
        customer_scores.frequency_score,
        customer_scores.monetary_score,
        customer_scores.composite_score,
        with_frequency_monetary.segment_recency_score,
        with_frequency_monetary.segment_frequency_monetary_score,
        coalesce(
            composite_ranked.composite_rank * 100 <= {{ vip_top_percent }} * composite_ranked.scored_customer_count,
            false
        ) as is_vip
    from customer_scores
    left join with_frequency_monetary
        on customer_scores.customer_id = with_frequency_monetary.customer_id
    left join segment_rfm_map
        on with_frequency_monetary.segment_recency_score
            between segment_rfm_map.recency_score_min and segment_rfm_map.recency_score_max
        and with_frequency_monetary.segment_frequency_monetary_score
            between segment_rfm_map.frequency_monetary_score_min and segment_rfm_map.frequency_monetary_score_max
    left join composite_ranked
        on customer_scores.customer_id = composite_ranked.customer_id
),

flagged as (
    select
        segmented.*,
        segment_definitions.is_churn_risk
    from segmented
    left join segment_definitions
        on segmented.segment_name = segment_definitions.segment_name
)

select * from flagged
