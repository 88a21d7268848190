-- Each customer's purchase history in the "buy till you die" sense at the customer-value cutoffs
-- (validation, A - H, and scoring, A), from purchases dated on or before the cutoff only. The models count
-- purchase days, not orders: several purchases on one day are one purchase of their total value.
-- Incremental: while the cutoffs stay where they were, a run recomputes only the customers with orders
-- checked since the last build; when they move, every customer. Each recomputed customer gets a marker row
-- (cutoff_role null) so that one left without a purchase loses its old rows too.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    post_hook="{{ delete_recomputed_customer_markers('cutoff_role') }}",
) }}
{%- set cutoffs = scorehouse.prediction_cutoffs() | selectattr('role', 'in', ['validation', 'scoring']) | list %}
{%- set cutoffs_moved = is_incremental() and scorehouse.cutoffs_moved_since_last_build(cutoffs, ['cutoff_date']) %}
{%- set recomputes_changed_customers_only = is_incremental() and not cutoffs_moved %}

-- the checked rows and identity changes are read only by an incremental build; dbt must know they come first
-- depends_on: {{ ref('stg_shop__orders_checked') }}
-- depends_on: {{ ref('int_customer_identity') }}
with

orders as {{ scorehouse.not_materialized() }} (
    select * from {{ ref('int_orders_reconciled') }}
),

{% if is_incremental() %}
-- every order row with the run that last checked it, for incremental runs
orders_checked as (
    select * from {{ ref('stg_shop__orders_checked') }}
),

customers_to_recompute as (
    {% if cutoffs_moved %}
    select distinct customer_id from {{ this }}
    {% else %}
    {{ customers_rechecked_since_last_build('orders_checked') }}
    {% endif %}
),

{% endif %}

purchases_in_scope as {{ scorehouse.not_materialized() }} (
    select orders.* from orders
    {% if recomputes_changed_customers_only %}
    {{ join_recomputed_customers('orders', 'customers_to_recompute') }}
    {% endif %}
    where orders.is_purchase
),

purchase_days as (
    select
        orders.customer_id,
        orders.cutoff_role,
        orders.cutoff_date,
        orders.ordered_date as purchase_date,
        sum(orders.net_amount) as purchase_day_value
    from ({{ scorehouse.rows_at_cutoffs('purchases_in_scope', cutoffs, 'ordered_date <= cutoff_date') }}) as orders
    group by orders.customer_id, orders.cutoff_role, orders.cutoff_date, orders.ordered_date
),

purchase_days_after_first as (
    select
        customer_id,
        cutoff_role,
        cutoff_date,
        purchase_date,
        purchase_day_value,
        min(purchase_date) over (partition by customer_id, cutoff_role) as first_purchase_date
    from purchase_days
),

summarized as (
    select
        customer_id,
        cutoff_role,
        cutoff_date,
        first_purchase_date,
        max(purchase_date) as last_purchase_date,
        cast(sum(case when purchase_date > first_purchase_date then 1 else 0 end) as {{ dbt.type_bigint() }})
            as frequency,
        sum(case when purchase_date > first_purchase_date then purchase_day_value else 0 end)
            as repeat_purchase_value
    from purchase_days_after_first
    group by customer_id, cutoff_role, cutoff_date, first_purchase_date
),

histories as (
    select
        customer_id,
        cutoff_role,
        cutoff_date,
        first_purchase_date,
        last_purchase_date,
        frequency,
        cast(
            {{ dbt.datediff(
                'first_purchase_date', 'last_purchase_date', 'day'
            ) }} as {{ dbt.type_bigint() }}
        ) as recency_days,
        cast(
            {{ dbt.datediff(
                'first_purchase_date', 'cutoff_date', 'day'
            ) }} as {{ dbt.type_bigint() }}
        ) as age_days,
        case
            when frequency > 0
                then cast(repeat_purchase_value as {{ scorehouse.type_double() }}) / frequency
        end as average_repeat_purchase_value,
        {{ run_started_timestamp() }} as computed_at
    from summarized
),

histories_and_markers as (
    select * from histories
    {% if is_incremental() %}
    union all
    {{ recomputed_customer_markers('customers_to_recompute') }}
    {% endif %}
)

select * from histories_and_markers
