-- Every raw order item row, typed, with the reason it breaks the input contract (null when it does not).
-- Incremental: a run checks the newly loaded rows and the rows quarantined for an unknown parent.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['source_file', 'source_row_number'],
) }}

{% set delivered_types = delivered_column_types(source('shop', 'order_items')) %}

with

source as (
    {{ raw_rows_to_check(source('shop', 'order_items'), 'unknown order_id') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

typed as (
    select
        ----------  ids
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,

        ----------  item
        lower({{ clean_text('category') }}) as category,
        {{ dbt.safe_cast('quantity', dbt.type_int()) }} as quantity,
        {{ dbt.safe_cast('unit_price', dbt.type_numeric()) }} as unit_price,
        {{ has_decimals_beyond_numeric_scale(
            'unit_price', delivered_types.get('unit_price')
        ) }} as has_unit_price_extra_decimals,

        ----------  lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _loaded_at as loaded_at,
        {{ run_started_timestamp() }} as checked_at

    from source
),

checked as (
    select
        typed.order_id,
        typed.product_id,
        typed.category,
        typed.quantity,
        typed.unit_price,
        typed.source_file,
        typed.source_row_number,
        typed.loaded_at,
        typed.checked_at,
        case
            when typed.order_id is null then 'missing order_id'
            when typed.product_id is null then 'missing product_id'
            when typed.quantity is null or typed.quantity < 1 then 'invalid quantity'
            when typed.unit_price is null or typed.unit_price < 0 then 'invalid unit_price'
            when typed.has_unit_price_extra_decimals then 'unit_price with more than 6 decimals'
            when orders.order_id is null then 'unknown order_id'
        end as quarantine_reason
    from typed
    left join orders
        on typed.order_id = orders.order_id
)

select * from checked
