-- Each customer's best campaign channel: among the channels that carried at least `best_channel_min_sends`
-- of the sends to any of the person's customer_ids, the one with the highest response rate; without one, the
-- best channel of the customer's segment measured the same way on all its customers' sends; else none.
{%- set min_sends = numeric_var('best_channel_min_sends', 1, 1000000000, whole_number=true) %}

with

campaign_sends_attributed as (
    select * from {{ ref('int_campaign_sends_attributed') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

channel_sends_responded as (
    -- responded as the campaign results count it: a response within campaign_attribution_days of the send.
    -- Control customers were held out, not contacted through a channel, and a send without a channel says
    -- nothing about one.
    select
        campaign_sends_attributed.person_id as customer_id,
        campaign_sends_attributed.channel,
        campaign_sends_attributed.has_responded,
        customer_segments.segment_name
    from campaign_sends_attributed
    inner join customer_segments
        on campaign_sends_attributed.person_id = customer_segments.customer_id
    where not campaign_sends_attributed.is_control
        and campaign_sends_attributed.channel is not null
),

{% for level, key in [('customer', 'customer_id'), ('segment', 'segment_name')] %}
{{ level }}_channel_counts as (
    select
        {{ key }},
        channel,
        cast(count(*) as {{ dbt.type_bigint() }}) as send_count,
        cast(sum(case when has_responded then 1 else 0 end) as {{ dbt.type_bigint() }}) as responded_send_count,
        cast(sum(case when has_responded then 1 else 0 end) as {{ type_double() }}) / count(*) as response_rate
    from channel_sends_responded
    group by {{ key }}, channel
),

{{ level }}_best_channels as (
    -- equal rates (equal fractions divide to the same double) go to the channel with more sends, then to
    -- the first channel name by code point
    select * from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by response_rate desc, send_count desc, {{ code_point_sort_key('channel') }} asc
            ) as channel_rank
        from {{ level }}_channel_counts
        where send_count >= {{ min_sends }}
    ) as ranked
    where channel_rank = 1
),

{% endfor %}
customer_send_totals as (
    select
        customer_id,
        sum(send_count) as channel_send_count
    from customer_channel_counts
    group by customer_id
),

best_channels as (
    select
        ----------  ids
        customer_segments.customer_id,
        customer_segments.segment_name,

        ----------  best channel: the customer's own, else the segment's
        coalesce(customer_best_channels.channel, segment_best_channels.channel) as best_channel,
        case
            when customer_best_channels.channel is not null then 'customer'
            when segment_best_channels.channel is not null then 'segment'
            else 'none'
        end as best_channel_basis,

        ----------  counts the choice rests on
        coalesce(customer_best_channels.send_count, segment_best_channels.send_count) as best_channel_send_count,
        coalesce(customer_best_channels.responded_send_count, segment_best_channels.responded_send_count)
            as best_channel_responded_send_count,
        coalesce(customer_best_channels.response_rate, segment_best_channels.response_rate)
            as best_channel_response_rate,
        cast(coalesce(customer_send_totals.channel_send_count, 0) as {{ dbt.type_bigint() }})
            as customer_channel_send_count,

        ----------  date
        {{ date_literal(as_of_date()) }} as as_of_date

    from customer_segments
    left join customer_best_channels
        on customer_segments.customer_id = customer_best_channels.customer_id
    left join segment_best_channels
        on customer_segments.segment_name = segment_best_channels.segment_name
    left join customer_send_totals
        on customer_segments.customer_id = customer_send_totals.customer_id
)

select * from best_channels
