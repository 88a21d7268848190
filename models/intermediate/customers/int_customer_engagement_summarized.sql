-- Engagement of each customer over the lookback window and their latest NPS answer, as of the as-of date.
-- Incremental: a run recomputes only the customers whose events or answers changed or crossed the window's edges.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='customer_id',
) }}
{%- set as_of = date_literal(as_of_date()) %}
{%- set window_start = date_literal(purchase_window_start_date()) %}

-- the checked rows and identity changes are read only by an incremental build; dbt must know they come first
-- depends_on: {{ ref('stg_shop__events_checked') }}
-- depends_on: {{ ref('stg_shop__nps_responses_checked') }}
-- depends_on: {{ ref('int_customer_identity') }}
with

events as (
    select * from {{ ref('int_events_reconciled') }}
),

nps_responses as (
    select * from {{ ref('int_nps_responses_reconciled') }}
),

{% if is_incremental() %}
-- every event and answer row with the run that last checked it, for incremental runs
events_checked as (
    select * from {{ ref('stg_shop__events_checked') }}
),

nps_responses_checked as (
    select * from {{ ref('stg_shop__nps_responses_checked') }}
),

customers_to_summarize as (
    {{ customers_to_resummarize('events_checked', 'cast(checked.occurred_at as date)') }}
    union
    {{ customers_to_resummarize('nps_responses_checked', 'cast(checked.responded_at as date)') }}
),
{% endif %}

events_in_window as (
    select
        events.customer_id,
        events.event_type,
        events.occurred_at
    from events
    {% if is_incremental() %}
    {{ join_recomputed_customers('events', 'customers_to_summarize') }}
    {% endif %}
    where cast(events.occurred_at as date) between {{ window_start }} and {{ as_of }}
),

event_counts as (
    select
        customer_id,
        count(*) as event_count,
        cast(sum(case when event_type = 'page_view' then 1 else 0 end) as {{ dbt.type_bigint() }}) as page_view_count,
        cast(sum(case when event_type = 'add_to_cart' then 1 else 0 end) as {{ dbt.type_bigint() }})
            as add_to_cart_count,
        cast(sum(case when event_type = 'email_open' then 1 else 0 end) as {{ dbt.type_bigint() }}) as email_open_count,
        cast(sum(case when event_type = 'email_click' then 1 else 0 end) as {{ dbt.type_bigint() }})
            as email_click_count,
        max(occurred_at) as last_event_at
    from events_in_window
    group by customer_id
),

nps_ranked as (
    select
        nps_responses.customer_id,
        nps_responses.nps_score,
        nps_responses.responded_at,
        -- the lower score wins a same-instant tie, so the result depends on values, not row order
        row_number() over (
            partition by nps_responses.customer_id
            order by nps_responses.responded_at desc, nps_responses.nps_score asc
        ) as recency_rank
    from nps_responses
    {% if is_incremental() %}
    {{ join_recomputed_customers('nps_responses', 'customers_to_summarize') }}
    {% endif %}
    where cast(nps_responses.responded_at as date) <= {{ as_of }}
),

latest_nps as (
    select
        customer_id,
        nps_score as latest_nps_score,
        responded_at as latest_nps_responded_at
    from nps_ranked
    where recency_rank = 1
),

engaged_customers as (
    select customer_id from event_counts
    union
    select customer_id from latest_nps
    {% if is_incremental() %}
    -- a recomputed customer left with no event or answer in range gets a row of zero counts, which
    -- downstream reads as no engagement, instead of keeping its old numbers
    union
    select customer_id from customers_to_summarize
    {% endif %}
),

summarized as (
    select
        engaged_customers.customer_id,
        coalesce(event_counts.event_count, 0) as event_count,
        coalesce(event_counts.page_view_count, 0) as page_view_count,
        coalesce(event_counts.add_to_cart_count, 0) as add_to_cart_count,
        coalesce(event_counts.email_open_count, 0) as email_open_count,
        coalesce(event_counts.email_click_count, 0) as email_click_count,
        event_counts.last_event_at,
        latest_nps.latest_nps_score,
        latest_nps.latest_nps_responded_at,

        ----------  what the next incremental run compares against
        {{ as_of }} as as_of_date,
        {{ window_start }} as window_start_date,
        {{ run_started_timestamp() }} as summarized_at
    from engaged_customers
    left join event_counts
        on engaged_customers.customer_id = event_counts.customer_id
    left join latest_nps
        on engaged_customers.customer_id = latest_nps.customer_id
)

select * from summarized
