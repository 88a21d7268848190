-- Every raw NPS response row, typed, with the reason it breaks the input contract (null when it does not).
-- Incremental: a run checks the newly loaded rows and the rows quarantined for an unknown parent.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['source_file', 'source_row_number'],
) }}

{% set delivered_types = delivered_column_types(source('shop', 'nps_responses')) %}

with

source as (
    {{ raw_rows_to_check(source('shop', 'nps_responses'), 'unknown customer_id') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

typed as (
    select
        ----------  ids
        {{ clean_text('customer_id') }} as customer_id,

        ----------  response
        {{ dbt.safe_cast('score', dbt.type_int()) }} as nps_score,

        ----------  timestamps
        {{ safe_utc_timestamp('responded_at', delivered_types.get('responded_at')) }} as responded_at,

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
            when typed.responded_at is null then 'missing or invalid responded_at'
            when typed.responded_at > typed.loaded_at then 'responded_at in the future'
            when typed.nps_score is null or typed.nps_score not between 0 and 10 then 'score not in 0-10'
            when customers.customer_id is null then 'unknown customer_id'
        end as quarantine_reason
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
)

select * from checked
