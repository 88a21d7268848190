-- Each customer's lookalike features, one row per customer and date with a column per feature, as of two
-- dates: the as-of date (`scoring`) and the newest score-history snapshot at least
-- `lookalike_validation_min_days` before it (`validation`; none without such a snapshot). Only what prospects
-- have too, and nothing sensitive: the acquisition channel, and page views, add-to-carts, email opens and email
-- clicks in the `lookalike_engagement_days` up to the date (in bands). Gender, age and country are left out, as
-- the churn model leaves them out: an audience must not be picked by them. Tenure is left out too: the seed
-- group's long tenure made new customers look unlike it, though they are the ones who buy (docs/audiences.md).
{%- set engagement_days = numeric_var('lookalike_engagement_days', 1, 36500, whole_number=true) %}
{%- set validation_min_days = numeric_var('lookalike_validation_min_days', 1, 36500, whole_number=true) %}
{%- set latest_validation_date = (
    modules.datetime.date.fromisoformat(as_of_date()) - modules.datetime.timedelta(days=validation_min_days)
).isoformat() %}
{%- set event_types = lookalike_engagement_event_types() %}

with

customers as (
    select * from {{ ref('int_customers_reconciled') }}
),

events as (
    select * from {{ ref('int_events_reconciled') }}
),

customer_score_history as (
    select * from {{ ref('fct_customer_score_history') }}
),

validation_snapshot as (
    -- an aggregate without group by: one row, null when no snapshot is old enough
    select max(as_of_date) as feature_date
    from customer_score_history
    where as_of_date <= {{ date_literal(latest_validation_date) }}
),

feature_dates as (
    select
        'scoring' as feature_date_role,
        {{ date_literal(as_of_date()) }} as feature_date
    union all
    select
        'validation' as feature_date_role,
        feature_date
    from validation_snapshot
    where feature_date is not null
),

customers_at_dates as (
    select
        customers.customer_id,
        customers.acquisition_channel,
        feature_dates.feature_date_role,
        feature_dates.feature_date
    from customers
    inner join feature_dates
        on cast(customers.created_at as date) <= feature_dates.feature_date
),

engagement as (
    select
        {%- for event_type in event_types %}
        sum(case when events.event_type = '{{ event_type }}' then 1 else 0 end) as {{ event_type }}_count,
        {%- endfor %}
        events.customer_id,
        feature_dates.feature_date_role
    from events
    inner join feature_dates
        on cast(events.occurred_at as date) <= feature_dates.feature_date
        and cast(events.occurred_at as date)
        > {{ dbt.dateadd('day', -engagement_days, 'feature_dates.feature_date') }}
    group by events.customer_id, feature_dates.feature_date_role
),

customer_features as (
    select
        {%- for event_type in event_types %}
        coalesce(engagement.{{ event_type }}_count, 0) as {{ event_type }}_count,
        {%- endfor %}
        customers_at_dates.customer_id,
        customers_at_dates.acquisition_channel,
        customers_at_dates.feature_date_role,
        customers_at_dates.feature_date
    from customers_at_dates
    left join engagement
        on customers_at_dates.customer_id = engagement.customer_id
        and customers_at_dates.feature_date_role = engagement.feature_date_role
),

features as (
    select
        customer_id,
        feature_date_role,
        feature_date,
        {%- for event_type in event_types %}
        {{ count_band(event_type ~ '_count') }} as {{ event_type }}_count,
        {%- endfor %}
        coalesce(acquisition_channel, 'unknown') as acquisition_channel
    from customer_features
)

select * from features
