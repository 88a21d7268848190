-- Every member of a segment meets the conditions its description promises (segment_definitions): its
-- recency and frequency-monetary scores on the segment grid lie in the promised ranges, it bought in the
-- lookback window when the segment says recent or active, and it made its first purchase within the top
-- recency bucket when the segment promises new customers. The top recency bucket reaches back as far as the
-- oldest last purchase among buyers with segment recency score 5. Returns the members that break a promise,
-- with the promise they break.
{%- set as_of = date_literal(as_of_date()) %}

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

top_recency_bucket as (
    select max(customers.recency_days) as oldest_recency_days
    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id
    where customer_segments.segment_recency_score = 5
),

members as (
    select
        customer_segments.customer_id,
        customer_segments.segment_name,
        customer_segments.segment_recency_score,
        customer_segments.segment_frequency_monetary_score,
        customers.frequency,
        {{ dbt.datediff(
            'cast(customers.first_purchase_at as date)', as_of, 'day'
        ) }} as days_since_first_purchase,
        segment_definitions.recency_score_min,
        segment_definitions.recency_score_max,
        segment_definitions.frequency_monetary_score_min,
        segment_definitions.frequency_monetary_score_max,
        segment_definitions.requires_purchase_in_window,
        segment_definitions.requires_first_purchase_in_top_recency_bucket
    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id
    inner join segment_definitions
        on customer_segments.segment_name = segment_definitions.segment_name
),

broken_promises as (
    select
        members.*,
        case
            when members.recency_score_min is not null
                and not coalesce(
                    members.segment_recency_score between members.recency_score_min and members.recency_score_max,
                    false
                )
                then 'recency score outside the promised range'
            when members.frequency_monetary_score_min is not null
                and not coalesce(
                    members.segment_frequency_monetary_score between
                    members.frequency_monetary_score_min and members.frequency_monetary_score_max,
                    false
                )
                then 'frequency-monetary score outside the promised range'
            when members.requires_purchase_in_window and members.frequency = 0
                then 'no purchase in the lookback window'
            when members.requires_first_purchase_in_top_recency_bucket
                and not coalesce(members.days_since_first_purchase <= top_recency_bucket.oldest_recency_days, false)
                then 'first purchase before the top recency bucket'
        end as broken_promise
    from members
    cross join top_recency_bucket
)

select * from broken_promises
where broken_promise is not null
