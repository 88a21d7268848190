-- Every raw event row, typed, with the reason it breaks the input contract (null when it does not).
-- Incremental: a run checks the newly loaded rows and the rows quarantined for an unknown parent.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['source_file', 'source_row_number'],
) }}

{% set delivered_types = delivered_column_types(source('shop', 'events')) %}

with

source as (
    {{ raw_rows_to_check(source('shop', 'events'), 'unknown customer_id') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

typed as (
    select
        ----------  ids
        {{ clean_text('customer_id') }} as customer_id,

        ----------  event
        lower({{ clean_text('event_type') }}) as event_type,

        ----------  timestamps
        {{ safe_utc_timestamp('occurred_at', delivered_types.get('occurred_at')) }} as occurred_at,

        ----------  lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _loaded_at as loaded_at,
        {{ run_started_timestamp() }} as checked_at

    from source
),

checked as (
    select
        typed.*,
        case
            when typed.customer_id is null then 'missing customer_id'
            when typed.event_type is null then 'missing event_type'
            when typed.occurred_at is null then 'missing or invalid occurred_at'
            when typed.occurred_at > typed.loaded_at then 'occurred_at in the future'
            when customers.customer_id is null then 'unknown customer_id'
        end as quarantine_reason
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
)

select * from checked
