-- One row per campaign send on or before the as-of date: the segment of the customer's person when it was
-- sent and the responses attributed to it. A send stays with the customer_id it went to, the unit the
-- campaign drew into treatment or control, and a response counts for the send to its own customer_id.
{%- set attribution_days = scorehouse.numeric_var('campaign_attribution_days', 1, 3650, whole_number=true) %}

with

campaign_sends as (
    select * from {{ ref('stg_shop__campaign_sends') }}
),

campaign_responses as (
    select * from {{ ref('stg_shop__campaign_responses') }}
),

merged_customers as (
    {{ merged_customers() }}
),

customer_score_history as (
    select * from {{ ref('fct_customer_score_history') }}
),

sends_until_as_of as (
    select
        campaign_sends.campaign_id,
        campaign_sends.customer_id,
        coalesce(merged_customers.person_id, campaign_sends.customer_id) as person_id,
        campaign_sends.channel,
        campaign_sends.is_control,
        campaign_sends.sent_at,
        cast(campaign_sends.sent_at as date) as sent_date,
        {{ dbt.dateadd('day', attribution_days, 'campaign_sends.sent_at') }} as attribution_ends_at
    from campaign_sends
    left join merged_customers
        on campaign_sends.customer_id = merged_customers.customer_id
    where cast(campaign_sends.sent_at as date) <= {{ date_literal(as_of_date()) }}
),

snapshot_dates as (
    select distinct as_of_date
    from customer_score_history
),

send_dates as (
    select distinct sent_date
    from sends_until_as_of
),

send_date_snapshots as (
    -- the latest snapshot before the send day: one of the send day itself already holds that day's
    -- orders, which may be the very response being measured
    select
        send_dates.sent_date,
        max(snapshot_dates.as_of_date) as snapshot_date
    from send_dates
    left join snapshot_dates
        on send_dates.sent_date > snapshot_dates.as_of_date
    group by send_dates.sent_date
),

snapshot_segments as (
    -- only the snapshots some send needs: the history grows by one snapshot of every customer per refresh
    select
        customer_id,
        as_of_date,
        segment_name
    from customer_score_history
    where as_of_date in (select send_date_snapshots.snapshot_date from send_date_snapshots)
),

sends_segmented as (
    select
        sends_until_as_of.*,
        send_date_snapshots.snapshot_date,
        -- no snapshot before the send, or the customer was not yet in it
        coalesce(snapshot_segments.segment_name, 'unscored') as segment_name
    from sends_until_as_of
    inner join send_date_snapshots
        on sends_until_as_of.sent_date = send_date_snapshots.sent_date
    left join snapshot_segments
        on sends_until_as_of.person_id = snapshot_segments.customer_id
        and send_date_snapshots.snapshot_date = snapshot_segments.as_of_date
),

responses_attributed as (
    -- staging guarantees a response is never before its send
    select
        sends_until_as_of.campaign_id,
        sends_until_as_of.customer_id,
        count(*) as response_count,
        sum(coalesce(campaign_responses.revenue, 0)) as response_revenue
    from sends_until_as_of
    inner join campaign_responses
        on sends_until_as_of.campaign_id = campaign_responses.campaign_id
        and sends_until_as_of.customer_id = campaign_responses.customer_id
    where campaign_responses.responded_at <= sends_until_as_of.attribution_ends_at
        and cast(campaign_responses.responded_at as date) <= {{ date_literal(as_of_date()) }}
    group by sends_until_as_of.campaign_id, sends_until_as_of.customer_id
),

sends_attributed as (
    select
        ----------  ids
        sends_segmented.campaign_id,
        sends_segmented.customer_id,
        sends_segmented.person_id,

        ----------  send
        sends_segmented.channel,
        sends_segmented.is_control,
        sends_segmented.segment_name,
        sends_segmented.snapshot_date,

        ----------  responses in the attribution window, up to the as-of date
        cast(coalesce(responses_attributed.response_count, 0) as {{ dbt.type_bigint() }}) as response_count,
        responses_attributed.customer_id is not null as has_responded,
        cast(coalesce(responses_attributed.response_revenue, 0) as {{ dbt.type_numeric() }}) as response_revenue,

        ----------  timestamps
        sends_segmented.sent_at,
        sends_segmented.attribution_ends_at

    from sends_segmented
    left join responses_attributed
        on sends_segmented.campaign_id = responses_attributed.campaign_id
        and sends_segmented.customer_id = responses_attributed.customer_id
)

select * from sends_attributed
