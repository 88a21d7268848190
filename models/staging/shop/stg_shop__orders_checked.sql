-- Every raw order row, typed, with the reason it breaks the input contract (null when it does not).
-- Incremental: a run checks the newly loaded rows and the rows they may affect (macros/incremental).
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['source_file', 'source_row_number'],
) }}

{% set delivered_types = delivered_column_types(source('shop', 'orders')) %}

with

-- The rows go through these CTEs twice: once to find the order ids delivered more than once, once to be written.
-- DuckDB would keep them between the two, which at 100M orders spills to disk and takes longer than computing
-- them again (not_materialized).
source as {{ scorehouse.not_materialized() }} (
    {{ raw_rows_to_check(source('shop', 'orders'), 'unknown customer_id') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

order_statuses as (
    select * from {{ ref('order_statuses') }}
),

typed as {{ scorehouse.not_materialized() }} (
    select
        ----------  ids
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,

        ----------  order
        lower({{ clean_text('status') }}) as status,
        {{ dbt.safe_cast('amount', dbt.type_numeric()) }} as amount,
        amount is null as is_amount_missing,
        {{ has_decimals_beyond_numeric_scale(
            'amount', delivered_types.get('amount')
        ) }} as has_amount_extra_decimals,

        ----------  timestamps
        {{ safe_utc_timestamp('ordered_at', delivered_types.get('ordered_at')) }} as ordered_at,
        ordered_at is null as is_ordered_at_missing,

        ----------  lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _loaded_at as loaded_at

    from source
),

row_checked as {{ scorehouse.not_materialized() }} (
    select
        typed.*,
        order_statuses.is_purchase,
        case
            when typed.order_id is null then 'missing order_id'
            when typed.customer_id is null then 'missing customer_id'
            when typed.is_ordered_at_missing then 'missing ordered_at'
            when typed.ordered_at is null then 'invalid ordered_at'
            when typed.ordered_at > typed.loaded_at then 'ordered_at in the future'
            when typed.status is null then 'missing status'
            when order_statuses.status is null then 'unknown status'
            when typed.is_amount_missing then 'missing amount'
            when typed.amount is null then 'invalid amount'
            when typed.has_amount_extra_decimals then 'amount with more than 6 decimals'
            when typed.amount < 0 then 'negative amount'
            when typed.amount > {{ max_order_amount() }} then 'amount above max_order_amount'
            when customers.customer_id is null then 'unknown customer_id'
        end as row_failure_reason
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
    left join order_statuses
        on typed.status = order_statuses.status
),

{% if is_incremental() %}
previously_staged as (
    -- the staged versions of the orders being checked, which a newer version now supersedes
    select
        order_id,
        customer_id,
        ordered_at,
        status,
        is_purchase,
        amount,
        source_file,
        source_row_number,
        loaded_at,
        cast(null as {{ dbt.type_string() }}) as row_failure_reason
    from {{ this }}
    where quarantine_reason is null
        and order_id in (select order_id from row_checked where row_failure_reason is null)
),

{% endif %}
versions as {{ scorehouse.not_materialized() }} (
    select
        order_id,
        customer_id,
        ordered_at,
        status,
        is_purchase,
        amount,
        source_file,
        source_row_number,
        loaded_at,
        row_failure_reason
    from row_checked
    {% if is_incremental() %}
    union all
    select * from previously_staged
    {% endif %}
),

older_versions as (
    -- last write wins: a later load or file carries the newer state of an order (e.g. refunded)
    {{ older_versions('versions', 'order_id', 'duplicate order_id', 'older version of order_id') }}
),

checked as (
    select
        versions.order_id,
        versions.customer_id,
        versions.ordered_at,
        versions.status,
        versions.is_purchase,
        versions.amount,
        versions.source_file,
        versions.source_row_number,
        versions.loaded_at,
        {{ run_started_timestamp() }} as checked_at,
        coalesce(versions.row_failure_reason, older_versions.superseded_reason) as quarantine_reason
    from versions
    left join older_versions
        on versions.source_file = older_versions.superseded_source_file
        and versions.source_row_number = older_versions.superseded_source_row_number
)

select * from checked
