-- The orders that pass every check; a view, so a run never copies them.
{{ config(materialized='view') }}

with

orders_checked as (
    select * from {{ ref('stg_shop__orders_checked') }}
),

staged as (
    select
        ----------  ids
        order_id,
        customer_id,

        ----------  order
        status,
        is_purchase,
        amount,
        -- refunded and cancelled orders are netted to zero: they add nothing to monetary value
        case when is_purchase then amount else 0 end as net_amount,

        ----------  timestamps
        ordered_at,
        cast(ordered_at as date) as ordered_date,

        ----------  lineage
        source_file,
        source_row_number,
        loaded_at,
        checked_at

    from orders_checked
    where quarantine_reason is null
)

select * from staged
