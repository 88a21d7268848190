-- Churn features of every customer at each prediction cutoff (training, validation, scoring), from data
-- dated on or before the cutoff only, and what the customer did in the H days after it. Besides the
-- features of int_customers_summarized, the churn model's defaults: counts over the two H-day windows
-- before the cutoff and day counts capped at 2H, which mean the same at every cutoff
-- (docs/predictive-scores.md).
-- Incremental: while the cutoffs stay where they were, a run recomputes only the customers with orders or
-- events checked since the last build, and customers new since; when they move, every customer. Each
-- recomputed customer gets a marker row (cutoff_role null) so that one left with no row loses its old rows.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    post_hook="{{ delete_recomputed_customer_markers('cutoff_role') }}",
) }}
{%- set cutoffs = scorehouse.prediction_cutoffs() %}
{%- set horizon_days = scorehouse.numeric_var('prediction_horizon_days', 1, 3650, whole_number=true) %}
{#- the training cutoff is 2H before the scoring cutoff: day counts capped there span the same range at both -#}
{%- set capped_days = 2 * horizon_days %}
{%- set cutoffs_moved = is_incremental()
    and scorehouse.cutoffs_moved_since_last_build(cutoffs, ['cutoff_date', 'window_start_date']) %}
{%- set recomputes_changed_customers_only = is_incremental() and not cutoffs_moved %}

-- the checked rows and identity changes are read only by an incremental build; dbt must know they come first
-- depends_on: {{ ref('stg_shop__orders_checked') }}
-- depends_on: {{ ref('stg_shop__events_checked') }}
-- depends_on: {{ ref('int_customer_identity') }}
with

customers as {{ scorehouse.not_materialized() }} (
    select * from {{ ref('int_customers_reconciled') }}
),

orders as {{ scorehouse.not_materialized() }} (
    select * from {{ ref('int_orders_reconciled') }}
),

events as {{ scorehouse.not_materialized() }} (
    select * from {{ ref('int_events_reconciled') }}
),

{% if is_incremental() %}
-- every order and event row with the run that last checked it, for incremental runs
orders_checked as (
    select * from {{ ref('stg_shop__orders_checked') }}
),

events_checked as (
    select * from {{ ref('stg_shop__events_checked') }}
),

customers_to_recompute as (
    {% if cutoffs_moved %}
    select distinct customer_id from {{ this }}
    {% else %}
    {{ customers_rechecked_since_last_build('orders_checked') }}
    union
    {{ customers_rechecked_since_last_build('events_checked') }}
    union
    select customers.customer_id
    from customers
    left join {{ this }} as built
        on customers.customer_id = built.customer_id
    where built.customer_id is null
    {% endif %}
),

{% endif %}
-- the customers this build computes, with their orders and events
{%- for relation in ['customers', 'orders', 'events'] %}
{{ relation }}_in_scope as {{ scorehouse.not_materialized() }} (
    select {{ relation }}.* from {{ relation }}
    {% if recomputes_changed_customers_only %}
    {{ join_recomputed_customers(relation, 'customers_to_recompute') }}
    {% endif %}
),
{% endfor %}

customers_at_cutoffs as (
    {{ scorehouse.rows_at_cutoffs('customers_in_scope', cutoffs, 'cast(created_at as date) <= cutoff_date') }}
),

orders_at_cutoffs as (
    select
        orders.*,
        {{ dbt.datediff(
            'orders.ordered_date', 'orders.cutoff_date', 'day'
        ) }} as days_before_cutoff
    from ({{ scorehouse.rows_at_cutoffs('orders_in_scope', cutoffs, 'ordered_date <= cutoff_date') }}) as orders
),

-- as int_customer_orders_summarized at an as-of date equal to the cutoff
orders_summarized as (
    select
        orders.customer_id,
        orders.cutoff_role,
        cast(sum(case when orders.is_purchase then 1 else 0 end) as {{ dbt.type_bigint() }}) as purchase_count,
        sum(orders.net_amount) as lifetime_revenue,
        cast(sum(
            case when orders.is_purchase and orders.ordered_date >= orders.window_start_date then 1 else 0 end
        ) as {{ dbt.type_bigint() }}) as frequency,
        sum(
            case
                when orders.is_purchase and orders.ordered_date >= orders.window_start_date then orders.net_amount
                else 0
            end
        ) as monetary,
        min(case when orders.is_purchase then orders.ordered_at end) as first_purchase_at,
        max(case when orders.is_purchase then orders.ordered_at end) as last_purchase_at,
        -- the H days ending on the cutoff, and the H days before them
        cast(sum(
            case when orders.is_purchase and orders.days_before_cutoff < {{ horizon_days }} then 1 else 0 end
        ) as {{ dbt.type_bigint() }}) as horizon_purchase_count,
        sum(
            case
                when orders.is_purchase and orders.days_before_cutoff < {{ horizon_days }} then orders.net_amount
                else 0
            end
        ) as horizon_revenue,
        cast(sum(
            case
                when orders.is_purchase and orders.days_before_cutoff >= {{ horizon_days }}
                    and orders.days_before_cutoff < {{ 2 * horizon_days }} then 1
                else 0
            end
        ) as {{ dbt.type_bigint() }}) as prior_horizon_purchase_count
    from orders_at_cutoffs as orders
    group by orders.customer_id, orders.cutoff_role
),

-- as int_customer_engagement_summarized's event count
events_counted as (
    select
        events.customer_id,
        events.cutoff_role,
        count(*) as event_count
    from ({{ scorehouse.rows_at_cutoffs(
        'events_in_scope', cutoffs, 'cast(occurred_at as date) between window_start_date and cutoff_date'
    ) }}) as events
    group by events.customer_id, events.cutoff_role
),

-- purchases in the outcome window (cutoff, cutoff + H]; none are looked for after the scoring cutoff
outcomes_observed as (
    select
        orders.customer_id,
        orders.cutoff_role,
        cast(count(*) as {{ dbt.type_bigint() }}) as purchase_count_after,
        sum(orders.net_amount) as revenue_after
    from ({{ scorehouse.rows_at_cutoffs(
        'orders_in_scope', cutoffs, 'is_purchase and ordered_date > cutoff_date and ordered_date <= outcome_end_date'
    ) }}) as orders
    group by orders.customer_id, orders.cutoff_role
),

features_joined as (
    select
        ----------  ids
        customers_at_cutoffs.customer_id,
        customers_at_cutoffs.cutoff_role,
        customers_at_cutoffs.cutoff_date,
        customers_at_cutoffs.window_start_date,

        ----------  features at the cutoff
        coalesce(orders_summarized.purchase_count, 0) > 0 as has_purchased,
        {{ dbt.datediff(
            'cast(orders_summarized.last_purchase_at as date)', 'customers_at_cutoffs.cutoff_date', 'day'
        ) }} as recency_days,
        coalesce(orders_summarized.frequency, 0) as frequency,
        coalesce(orders_summarized.monetary, 0) as monetary,
        coalesce(orders_summarized.purchase_count, 0) as purchase_count,
        coalesce(orders_summarized.lifetime_revenue, 0) as lifetime_revenue,
        cast(orders_summarized.lifetime_revenue as {{ type_double() }}) / nullif(orders_summarized.purchase_count, 0)
            as average_order_value,
        {{ dbt.datediff(
            'cast(customers_at_cutoffs.created_at as date)', 'customers_at_cutoffs.cutoff_date', 'day'
        ) }} as tenure_days,
        {{ dbt.datediff(
            'cast(orders_summarized.first_purchase_at as date)', 'customers_at_cutoffs.cutoff_date', 'day'
        ) }} as days_since_first_purchase,
        coalesce(events_counted.event_count, 0) as event_count,
        coalesce(orders_summarized.horizon_purchase_count, 0) as horizon_purchase_count,
        coalesce(orders_summarized.horizon_revenue, 0) as horizon_revenue,
        coalesce(orders_summarized.prior_horizon_purchase_count, 0) as prior_horizon_purchase_count,

        ----------  outcome in the H days after the cutoff (null at the scoring cutoff: not yet known)
        case
            when customers_at_cutoffs.cutoff_role <> 'scoring' then outcomes_observed.customer_id is not null
        end as has_purchased_after,
        case
            when customers_at_cutoffs.cutoff_role <> 'scoring' then coalesce(outcomes_observed.revenue_after, 0)
        end as revenue_after,
        case
            when customers_at_cutoffs.cutoff_role <> 'scoring' then coalesce(outcomes_observed.purchase_count_after, 0)
        end as purchase_count_after,

        ----------  what the next incremental run compares against
        {{ run_started_timestamp() }} as computed_at

    from customers_at_cutoffs
    left join orders_summarized
        on customers_at_cutoffs.customer_id = orders_summarized.customer_id
        and customers_at_cutoffs.cutoff_role = orders_summarized.cutoff_role
    left join events_counted
        on customers_at_cutoffs.customer_id = events_counted.customer_id
        and customers_at_cutoffs.cutoff_role = events_counted.cutoff_role
    left join outcomes_observed
        on customers_at_cutoffs.customer_id = outcomes_observed.customer_id
        and customers_at_cutoffs.cutoff_role = outcomes_observed.cutoff_role
),

-- day counts capped at 2H: whenever the data reach 2H before the training cutoff, the model is fitted there on
-- the same range of values as it scores at the scoring cutoff, however long the history has grown since
days_capped as (
    select
        *,
        case when recency_days > {{ capped_days }} then {{ capped_days }} else recency_days end
            as capped_recency_days,
        case
            when days_since_first_purchase > {{ capped_days }} then {{ capped_days }}
            else days_since_first_purchase
        end as capped_days_since_first_purchase
    from features_joined
),

churn_labelled as (
    select
        *,
        -- churn is defined for buyers only: no purchase in the outcome window after one before the cutoff
        case when has_purchased then not has_purchased_after end as is_churned
    from days_capped
),

features_and_markers as (
    select * from churn_labelled
    {% if is_incremental() %}
    union all
    {{ recomputed_customer_markers('customers_to_recompute') }}
    {% endif %}
)

select * from features_and_markers
