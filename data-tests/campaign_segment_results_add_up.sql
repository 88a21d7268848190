-- The segment rows of a campaign add up to its total row: every send is in exactly one segment.
-- Returns the campaigns whose counts or revenue do not reconcile.
with

campaign_segment_results as (
    select * from {{ ref('fct_campaign_segment_results') }}
),

campaign_results as (
    select * from {{ ref('fct_campaign_results') }}
),

segment_totals as (
    select
        campaign_id,
        sum(treated_customer_count) as treated_customer_count,
        sum(control_customer_count) as control_customer_count,
        sum(treated_responder_count) as treated_responder_count,
        sum(control_responder_count) as control_responder_count,
        sum(treated_revenue) as treated_revenue,
        sum(control_revenue) as control_revenue
    from campaign_segment_results
    group by campaign_id
),

mismatches as (
    select coalesce(campaign_results.campaign_id, segment_totals.campaign_id) as campaign_id
    from campaign_results
    full outer join segment_totals
        on campaign_results.campaign_id = segment_totals.campaign_id
    where campaign_results.campaign_id is null
        or segment_totals.campaign_id is null
        or campaign_results.treated_customer_count <> segment_totals.treated_customer_count
        or campaign_results.control_customer_count <> segment_totals.control_customer_count
        or campaign_results.treated_responder_count <> segment_totals.treated_responder_count
        or campaign_results.control_responder_count <> segment_totals.control_responder_count
        or campaign_results.treated_revenue <> segment_totals.treated_revenue
        or campaign_results.control_revenue <> segment_totals.control_revenue
)

select * from mismatches
